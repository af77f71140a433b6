package dev.wsgate.bench;

/**
 * How the soak ends a session, and the reason wsgate should count it under
 * ({@code wsgate_sessions_ended_by_reason_total}). Endings on the upstream's side are asked for in-band: the client
 * sends {@link #command()} through wsgate, and the upstream that receives it acts.
 */
enum Ending {
  /** The client sends a close frame (1000). */
  CLIENT_CLOSE("client-close"),
  /** The upstream sends a close frame (1000). */
  UPSTREAM_CLOSE("upstream-close"),
  /** The client resets its TCP connection (SO_LINGER 0). */
  CLIENT_RESET("client-lost"),
  /** The upstream resets its TCP connection (SO_LINGER 0). */
  UPSTREAM_RESET("upstream-lost"),
  /** The client stops reading and sending, without FIN or RST: wsgate must evict it. */
  CLIENT_SILENT("client-heartbeat"),
  /** The upstream stops reading and sending, without FIN or RST: wsgate must evict it. */
  UPSTREAM_SILENT("upstream-heartbeat");

  /** Text a client sends ahead of {@link #CLIENT_SILENT}: {@code !silent MILLIS}, when it went silent. */
  static final String SILENT_NOTE = "!silent ";
  /** Text a slow client sends its upstream: send me binary frames as fast as I take them. */
  static final String FLOOD = "!flood";

  private final String reason;

  Ending(String reason) {
    this.reason = reason;
  }

  /** The reason label wsgate counts this ending under. */
  String reason() {
    return reason;
  }

  boolean byUpstream() {
    return name().startsWith("UPSTREAM");
  }

  /** The text message that asks the upstream for this ending (for upstream endings). */
  String command() {
    return "!end " + name();
  }

  /** The upstream ending a text message asks for, or null. */
  static Ending ofCommand(String text) {
    if (!text.startsWith("!end ")) {
      return null;
    }
    try {
      Ending e = valueOf(text.substring(5).strip());
      return e.byUpstream() ? e : null;
    } catch (IllegalArgumentException notOne) {
      return null;
    }
  }
}
