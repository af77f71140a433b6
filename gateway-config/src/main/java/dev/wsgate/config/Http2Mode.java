package dev.wsgate.config;

/** Whether the client listener takes HTTP/2 next to HTTP/1.1, and how a connection says it speaks it. */
public enum Http2Mode implements YamlEnum {
  /** HTTP/1.1 only. */
  OFF("off"),
  /**
   * HTTP/2 by prior knowledge (RFC 9113 3.3): a connection that opens with the HTTP/2 preface speaks HTTP/2, with
   * WebSocket over extended CONNECT (RFC 8441); any other speaks HTTP/1.1.
   */
  H2C("h2c");

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
