package dev.wsgate.config;

/** Whether the client listener takes HTTP/2 next to HTTP/1.1, and how a connection says it speaks it. */
public enum Http2Mode implements YamlEnum {
  /** HTTP/1.1 only. */
  OFF("off"),
  /**
   * HTTP/2 next to HTTP/1.1, with WebSocket over extended CONNECT (RFC 8441): on a TLS listener for a connection that
   * chose {@code h2} by ALPN, on a cleartext one for a connection that opens with the HTTP/2 preface (prior
   * knowledge, h2c, RFC 9113 3.3); any other connection speaks HTTP/1.1.
   */
  ON("on");

  private final String yamlName;

  Http2Mode(String yamlName) {
    this.yamlName = yamlName;
  }

  @Override
  public String yamlName() {
    return yamlName;
  }

  @Override
  public String toString() {
    return yamlName;
  }
}
