package dev.wsgate.session;

import dev.wsgate.config.Leg;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/**
 * One proxied WebSocket session as the registry, the access log, the metrics and the admin endpoints see it: who,
 * where to, what it relayed, how it ended. The live session, the proxy's, extends it: what the registry holds is the
 * session itself. The proxy writes the counters and the end from the session's event loop; readers on other threads
 * see recent values.
 */
public abstract class Session {

  /** Who ended a session: the access log's {@code closed_by}. */
  public enum Initiator {
    CLIENT("client"),
    UPSTREAM("upstream"),
    GATEWAY("gateway");

    private final String label;

    Initiator(String label) {
      this.label = label;
    }

    /** The spelling in logs and metrics. */
    public String label() {
      return label;
    }
  }

  /** Why a session ended: the access log's {@code end} and the metrics' {@code reason}. */
  public enum EndCause {
    /** The client sent a close frame. */
    CLIENT_CLOSE("client-close", Initiator.CLIENT),
    /** The upstream sent a close frame. */
    UPSTREAM_CLOSE("upstream-close", Initiator.UPSTREAM),
    /** The client's connection ended without a close frame. */
    CLIENT_LOST("client-lost", Initiator.CLIENT),
    /** The upstream's connection ended without a close frame. */
    UPSTREAM_LOST("upstream-lost", Initiator.UPSTREAM),
    /** The client stayed silent past its heartbeat timeout and was evicted. */
    CLIENT_HEARTBEAT("client-heartbeat", Initiator.GATEWAY),
    /** The upstream stayed silent past its heartbeat timeout and was evicted. */
    UPSTREAM_HEARTBEAT("upstream-heartbeat", Initiator.GATEWAY),
    /** No application data either way for the route's {@code max-idle}. */
    MAX_IDLE("max-idle", Initiator.GATEWAY),
    /** The session reached the route's {@code max-session-age}. */
    MAX_AGE("max-age", Initiator.GATEWAY),
    /** A peer sent past its route's rate limit, whose action is {@code close}. */
    RATE_LIMIT("rate-limit", Initiator.GATEWAY),
    /** wsgate is shutting down. */
    DRAIN("drain", Initiator.GATEWAY),
    /** A peer broke the protocol (or sent invalid UTF-8, or a frame too big). */
    ERROR("error", Initiator.GATEWAY);

    private final String label;
    private final Initiator initiator;

    EndCause(String label, Initiator initiator) {
      this.label = label;
      this.initiator = initiator;
    }

    public String label() {
      return label;
    }

    public Initiator initiator() {
      return initiator;
    }
  }

  /**
   * What the proxy knows of one leg of a live session, read on demand (admin endpoints), from any thread.
   *
   * @param queuedBytes   bytes queued for this leg's peer: its outbound buffer as Netty counts it against the mark
   *                      (each message's size plus Netty's per-message overhead)
   * @param waitingBytes  payload bytes of the frames waiting in the relay for this leg, once its outbound buffer
   *                      passed the mark (the rest of the read batch under way then)
   * @param silenceNanos  how long, now, since the last inbound frame (read) on this leg; -1 when unknown
   * @param lastRttNanos  the last heartbeat round trip, or -1 before the first
   * @param pingsSent     heartbeat pings sent on this leg
   * @param pongsReceived pongs received to them
   */
  public record LegStatus(long queuedBytes, long waitingBytes, long silenceNanos, long lastRttNanos, long pingsSent,
      long pongsReceived) {
  }

  private static final VarHandle FRAMES_FROM_CLIENT = counter("framesFromClient");
  private static final VarHandle BYTES_FROM_CLIENT = counter("bytesFromClient");
  private static final VarHandle FRAMES_FROM_UPSTREAM = counter("framesFromUpstream");
  private static final VarHandle BYTES_FROM_UPSTREAM = counter("bytesFromUpstream");

  private static VarHandle counter(String name) {
    try {
      return MethodHandles.lookup().findVarHandle(Session.class, name, long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long id;
  private final String requestId;
  private final String route;
  private final URI upstream;
  private final String clientAddress;
  private final String subprotocol;
  /** Wall-clock time of opening, in epoch milliseconds (a long, not an {@code Instant} a session). */
  private final long openedAtMillis;
  private final long openedAtNanos;

  // Written by one thread, the session's event loop, with opaque stores (no fence per frame); read from any thread
  // with opaque loads, which see each counter's own recent values in order.
  private long framesFromClient;
  private long bytesFromClient;
  private long framesFromUpstream;
  private long bytesFromUpstream;

  private volatile EndCause endCause;
  private volatile int closeCode;
  private volatile String closeReason = "";
  private volatile long closedAtNanos;

  protected Session(long id, String requestId, String route, URI upstream, String clientAddress, String subprotocol) {
    this.id = id;
    this.requestId = Objects.requireNonNull(requestId, "requestId");
    this.route = Objects.requireNonNull(route, "route");
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.clientAddress = Objects.requireNonNull(clientAddress, "clientAddress");
    this.subprotocol = subprotocol;
    this.openedAtMillis = System.currentTimeMillis();
    this.openedAtNanos = System.nanoTime();
  }

  public long id() {
    return id;
  }

  public String requestId() {
    return requestId;
  }

  public String route() {
    return route;
  }

  public URI upstream() {
    return upstream;
  }

  public String clientAddress() {
    return clientAddress;
  }

  /** The subprotocol the upstream chose, or null. */
  public String subprotocol() {
    return subprotocol;
  }

  /**
   * What the client leg runs on: {@code http/1.1} (a WebSocket upgrade on its own connection) or {@code h2} (an
   * extended CONNECT stream, RFC 8441).
   */
  public String clientProtocol() {
    return "http/1.1";
  }

  public Instant openedAt() {
    return Instant.ofEpochMilli(openedAtMillis);
  }

  /** Monotonic time of opening, from {@link System#nanoTime()}. */
  public long openedAtNanos() {
    return openedAtNanos;
  }

  public long framesFromClient() {
    return (long) FRAMES_FROM_CLIENT.getOpaque(this);
  }

  public long bytesFromClient() {
    return (long) BYTES_FROM_CLIENT.getOpaque(this);
  }

  public long framesFromUpstream() {
    return (long) FRAMES_FROM_UPSTREAM.getOpaque(this);
  }

  public long bytesFromUpstream() {
    return (long) BYTES_FROM_UPSTREAM.getOpaque(this);
  }

  /** Counts data frames received from the client and relayed to the upstream, with their payloads' bytes. */
  public void countFromClient(int frames, int payloadBytes) {
    FRAMES_FROM_CLIENT.setOpaque(this, framesFromClient + frames);
    BYTES_FROM_CLIENT.setOpaque(this, bytesFromClient + payloadBytes);
  }

  /** Counts data frames received from the upstream and relayed to the client, with their payloads' bytes. */
  public void countFromUpstream(int frames, int payloadBytes) {
    FRAMES_FROM_UPSTREAM.setOpaque(this, framesFromUpstream + frames);
    BYTES_FROM_UPSTREAM.setOpaque(this, bytesFromUpstream + payloadBytes);
  }

  /** The proxy's view of one leg, now. Any thread. */
  public abstract LegStatus leg(Leg leg);

  /** Bytes queued for a leg's peer in its outbound buffer; see {@link LegStatus#queuedBytes()}. */
  public long queuedBytes(Leg leg) {
    return leg(leg).queuedBytes();
  }

  /**
   * Ends the session from wsgate's side (drain, an operator): a close frame with {@code code} to both legs, then
   * TCP. Does nothing once the session is ending. Any thread.
   */
  public abstract void close(EndCause cause, int code, String reason);

  /**
   * Records how the session ended; only the first call counts, since the first close decides.
   *
   * @return true when this call recorded the end
   */
  public boolean recordEnd(EndCause cause, int code, String reason) {
    if (endCause != null) {
      return false;
    }
    this.closeCode = code;
    this.closeReason = reason == null ? "" : reason;
    this.closedAtNanos = System.nanoTime();
    this.endCause = cause;
    return true;
  }

  /** Why the session ended, or null while it is open. */
  public EndCause endCause() {
    return endCause;
  }

  /** Who ended the session, or null while it is open. */
  public Initiator closedBy() {
    EndCause c = endCause;
    return c == null ? null : c.initiator();
  }

  /** The close code that ended the session (1005: close frame without code; 1006: no close frame). */
  public int closeCode() {
    return closeCode;
  }

  public String closeReason() {
    return closeReason;
  }

  /** Monotonic time of the first close, or 0 while the session is open. */
  public long closedAtNanos() {
    return closedAtNanos;
  }

  @Override
  public String toString() {
    return "session " + id + " (request " + requestId + ", route " + route + ", upstream " + upstream + ")";
  }
}
