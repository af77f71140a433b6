package dev.wsgate.config;

/** Whether the client listener takes a PROXY protocol header (v1 or v2) before each connection's bytes. */
public enum ProxyProtocol implements YamlEnum {
  /** No header: the TCP peer is the connection's address. */
  OFF("off"),
  /** Every connection starts with one; one that does not is closed. */
  ON("on"),
  /** A connection may start with one (its address is then the header's), or not. */
  OPTIONAL("optional");

  private final String yamlName;

  ProxyProtocol(String yamlName) {
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
