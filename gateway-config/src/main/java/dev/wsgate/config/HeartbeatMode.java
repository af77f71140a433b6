package dev.wsgate.config;

/** How a heartbeat is carried on one leg. */
public enum HeartbeatMode implements YamlEnum {
  /** RFC 6455 ping and pong control frames; every conforming peer answers them (browsers included). */
  FRAME("frame"),
  /**
   * Text messages from templates, for peers that cannot answer ping frames (some embedded stacks) or cannot send
   * them (browsers): wsgate sends {@link TextHeartbeat#ping()} and takes {@link TextHeartbeat#pong()} as life.
   */
  TEXT("text");

  private final String yamlName;

  HeartbeatMode(String yamlName) {
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
