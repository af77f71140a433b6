package dev.wsgate.session;

import dev.wsgate.config.Leg;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * One proxied WebSocket session as the registry, the access log and the admin endpoints see it. The proxy writes
 * its counters from the session's event loop; readers on other threads see recent values.
 */
public final class Session {

  /** Who ended a session. */
  public enum Initiator {
    /** The client sent a close frame, or its connection ended. */
    CLIENT("client"),
    /** The upstream sent a close frame, or its connection ended. */
    UPSTREAM("upstream"),
    /** wsgate closed it: a protocol violation, an eviction, a drain. */
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

  private final long id;
  private final String requestId;
  private final String route;
  private final URI upstream;
  private final String clientAddress;
  private final String subprotocol;
  private final Instant openedAt;
  private final long openedAtNanos;

  // Each counter has one writer, the event loop of the session.
  private volatile long framesFromClient;
  private volatile long bytesFromClient;
  private volatile long framesFromUpstream;
  private volatile long bytesFromUpstream;

  // Set once by the proxy when the session starts; read on demand, never updated per frame.
  private volatile ToLongFunction<Leg> queues = leg -> 0L;

  private volatile Initiator closedBy;
  private volatile int closeCode;
  private volatile String closeReason = "";
  private volatile long closedAtNanos;

  public Session(long id, String requestId, String route, URI upstream, String clientAddress, String subprotocol) {
    this.id = id;
    this.requestId = Objects.requireNonNull(requestId, "requestId");
    this.route = Objects.requireNonNull(route, "route");
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.clientAddress = Objects.requireNonNull(clientAddress, "clientAddress");
    this.subprotocol = subprotocol;
    this.openedAt = Instant.now();
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

  public Instant openedAt() {
    return openedAt;
  }

  /** Monotonic time of opening, from {@link System#nanoTime()}. */
  public long openedAtNanos() {
    return openedAtNanos;
  }

  public long framesFromClient() {
    return framesFromClient;
  }

  public long bytesFromClient() {
    return bytesFromClient;
  }

  public long framesFromUpstream() {
    return framesFromUpstream;
  }

  public long bytesFromUpstream() {
    return bytesFromUpstream;
  }

  /** Counts one data frame received from the client and relayed to the upstream. */
  public void countFromClient(int payloadBytes) {
    framesFromClient++;
    bytesFromClient += payloadBytes;
  }

  /** Counts one data frame received from the upstream and relayed to the client. */
  public void countFromUpstream(int payloadBytes) {
    framesFromUpstream++;
    bytesFromUpstream += payloadBytes;
  }

  /**
   * The bytes wsgate holds right now for one leg's peer: written towards that peer and not yet taken by its socket,
   * as Netty counts them against {@code server.write-buffer-high-water-mark} (each queued buffer also counts a fixed
   * bookkeeping overhead, 96 bytes by default). Read on demand, from any thread; 0 before the session relays and
   * after that leg's connection closed.
   */
  public long queuedBytes(Leg leg) {
    return queues.applyAsLong(Objects.requireNonNull(leg, "leg"));
  }

  /** Where {@link #queuedBytes} reads from: the proxy sets it once, when the session starts relaying. */
  public void queuedBytesFrom(ToLongFunction<Leg> source) {
    this.queues = Objects.requireNonNull(source, "source");
  }

  /**
   * Records how the session ended; only the first call counts, since the first close decides.
   *
   * @return true when this call recorded the end
   */
  public boolean recordEnd(Initiator initiator, int code, String reason) {
    if (closedBy != null) {
      return false;
    }
    this.closeCode = code;
    this.closeReason = reason == null ? "" : reason;
    this.closedAtNanos = System.nanoTime();
    this.closedBy = initiator;
    return true;
  }

  /** Who ended the session, or null while it is open. */
  public Initiator closedBy() {
    return closedBy;
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
