package dev.wsgate.proxy;

import dev.wsgate.config.Leg;

/**
 * Every close code wsgate sends, and why: the one place where close codes are decided (RFC 6455, 7.4, and the IANA
 * WebSocket Close Code Number Registry).
 *
 * <h2>Relayed closes</h2>
 * A close frame from one peer is relayed to the other with its code and reason, except the codes that may not
 * travel in a close frame:
 * <table>
 *   <caption>codes received from one leg, and the code sent to the other</caption>
 *   <tr><th>received</th><th>sent on</th></tr>
 *   <tr><td>1000-1003, 1007-1014 (1012 service restart, 1013 try again later, 1014 bad gateway included),
 *       3000-4999</td><td>the same code and reason</td></tr>
 *   <tr><td>1005 (a close frame without a code)</td><td>a close frame without a code</td></tr>
 *   <tr><td>1006 (the connection ended without a close frame), and 1015 (TLS failure)</td>
 *       <td>to the client: 1014 bad gateway, "upstream closed the connection without a close frame";
 *       to the upstream: 1001 going away, "client closed the connection without a close frame"</td></tr>
 * </table>
 * A peer may not send the other codes (below 1000, 1004-1006, 1015, 1016-2999, 5000 and up): its connection is
 * dropped without an answer, since it sent its close already (Netty's decoder does it for most, wsgate for 5000 and
 * up, which the decoder lets through), it counts as a protocol error (1002), and the other leg is told as for any
 * protocol violation.
 *
 * <h2>Closes wsgate decides</h2>
 * <table>
 *   <caption>codes wsgate sends on its own</caption>
 *   <tr><th>event</th><th>to the peer at fault</th><th>to the other leg</th></tr>
 *   <tr><td>protocol violation (unmasked client frame, reserved opcode, fragmented control frame, ...)</td>
 *       <td>1002</td><td rowspan="6">client at fault: 1001 to the upstream; upstream at fault: 1014 to the
 *       client, both with the reason</td></tr>
 *   <tr><td>text that is not UTF-8</td><td>1007</td></tr>
 *   <tr><td>a frame over {@code server.max-frame-size}</td><td>1009</td></tr>
 *   <tr><td>a message whose frames add up past the route's {@code max-message-size} (that frame is not
 *       relayed)</td><td>1009</td></tr>
 *   <tr><td>on a leg wsgate inflates (permessage-deflate): a message over {@code compression.max-message-size}
 *       once inflated</td><td>1009</td></tr>
 *   <tr><td>on a leg wsgate inflates: compressed data that does not inflate</td><td>1007</td></tr>
 *   <tr><td>past the route's rate limit with {@code action: close} (the frame that passed it is not relayed)</td>
 *       <td>1008 "rate limit"</td><td>1001, "client rate limit" or "upstream rate limit"</td></tr>
 *   <tr><td>the peer did not answer a close frame within {@code server.close-timeout}</td><td>TCP closed</td>
 *       <td>its own close code echoed back</td></tr>
 * </table>
 */
public final class CloseCodes {

  /** 1000: the purpose of the connection has been fulfilled. */
  public static final int NORMAL = 1000;
  /** 1001: an endpoint is going away (a server going down, a client leaving, wsgate draining). */
  public static final int GOING_AWAY = 1001;
  /** 1002: the peer broke the protocol. */
  public static final int PROTOCOL_ERROR = 1002;
  /** 1005: no code was present in a close frame; never sent. */
  public static final int NO_STATUS = 1005;
  /** 1006: the connection closed without a close frame; never sent. */
  public static final int ABNORMAL = 1006;
  /** 1007: a text message that is not UTF-8. */
  public static final int INVALID_PAYLOAD = 1007;
  /** 1008: the peer broke a policy of wsgate's (its route's rate limit). */
  public static final int POLICY_VIOLATION = 1008;
  /** 1009: a frame (or a message) too big to process. */
  public static final int MESSAGE_TOO_BIG = 1009;
  /** 1011: an unexpected condition in the server. */
  public static final int INTERNAL_ERROR = 1011;
  /** 1014: wsgate, as a gateway, got an invalid response or none from the upstream. */
  public static final int BAD_GATEWAY = 1014;
  /** 1015: the TLS handshake failed; never sent. */
  public static final int TLS_FAILURE = 1015;

  /** The reason sent on both legs when a session had no application data for the route's {@code max-idle}. */
  public static final String IDLE = "idle";
  /** The reason sent on both legs when a session reached the route's {@code max-session-age}. */
  public static final String MAX_AGE = "max session age";
  /** The reason sent with 1008 to a peer that sent past its route's rate limit ({@code action: close}). */
  public static final String RATE_LIMIT = "rate limit";
  /** The reason sent with 1009 to a peer whose message passed its route's {@code max-message-size}. */
  public static final String MESSAGE_TOO_BIG_REASON = "message over max-message-size";
  /** The reason sent with 1007 to a peer whose text is not UTF-8 (Netty's words for it). */
  public static final String NOT_UTF8 = "bytes are not UTF-8";
  /** The reason sent on both legs when wsgate drains on shutdown. */
  public static final String DRAIN = "going away";

  /** The reason sent to the client when the upstream connection ended without a close frame. */
  public static final String UPSTREAM_GONE = "upstream closed the connection without a close frame";
  /** The reason sent to the upstream when the client left, or was refused, after the upstream's handshake. */
  public static final String CLIENT_LEFT_HANDSHAKE = "client went away during its handshake";
  /** The reason sent to the upstream when the client connection ended without a close frame. */
  public static final String CLIENT_GONE = "client closed the connection without a close frame";

  private CloseCodes() {
  }

  /** True for codes that may be sent, and so received, in a close frame. */
  public static boolean sendable(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  }

  /**
   * The close to send on {@code to} when the other leg closed with {@code code} (1005 when its close frame had no
   * code, 1006 when there was no close frame at all).
   */
  public static Close relay(int code, String reason, Leg to) {
    if (code == NO_STATUS) {
      return Close.EMPTY;
    }
    if (sendable(code)) {
      return new Close(code, reason);
    }
    return peerGone(to);
  }

  /** The close to send on {@code to} when the peer on the other leg went away without a close frame. */
  public static Close peerGone(Leg to) {
    return to == Leg.CLIENT ? new Close(BAD_GATEWAY, UPSTREAM_GONE) : new Close(GOING_AWAY, CLIENT_GONE);
  }

  /**
   * The close to send on the other leg when the peer on {@code dead} was evicted by its heartbeat: for the
   * upstream, the client went away (1001); for the client, the upstream failed (1014).
   */
  public static Close heartbeatTimeout(Leg dead) {
    return dead == Leg.CLIENT ? new Close(GOING_AWAY, "client heartbeat timeout")
        : new Close(BAD_GATEWAY, "upstream heartbeat timeout");
  }

  /**
   * The close to send on the other leg when the peer on {@code faulty} broke the protocol: the client leaving is
   * "going away" for the upstream, a broken upstream is a "bad gateway" for the client.
   */
  public static Close peerFailed(Leg faulty, String reason) {
    return faulty == Leg.CLIENT ? new Close(GOING_AWAY, "client: " + reason) : new Close(BAD_GATEWAY,
        "upstream: " + reason);
  }

  /** The close sent to {@code sender}, whose peer sent past its rate limit ({@code action: close}). */
  public static Close rateLimited() {
    return new Close(POLICY_VIOLATION, RATE_LIMIT);
  }

  /** The close sent to the other leg when {@code sender}'s peer sent past its rate limit: 1001, either way. */
  public static Close peerRateLimited(Leg sender) {
    return new Close(GOING_AWAY, sender.yamlName() + " " + RATE_LIMIT);
  }

  /**
   * A close frame to send: a code and a reason, or none (an empty close frame).
   *
   * @param code   a sendable code, or {@link #NO_STATUS} for an empty close frame
   * @param reason at most 123 bytes of UTF-8 once trimmed by {@link #trimmedReason()}
   */
  public record Close(int code, String reason) {
    /** A close frame without a code. */
    public static final Close EMPTY = new Close(NO_STATUS, "");

    /** The reason, cut to fit a close frame (123 bytes of UTF-8) without splitting a character. */
    public String trimmedReason() {
      int bytes = 0;
      for (int i = 0; i < reason.length(); ) {
        int cp = reason.codePointAt(i);
        int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (bytes + n > 123) {
          return reason.substring(0, i);
        }
        bytes += n;
        i += Character.charCount(cp);
      }
      return reason;
    }
  }
}
