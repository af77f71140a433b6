package dev.wsgate.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;

/**
 * Why a connection to an upstream failed, as the HTTP answer the client gets: 502 when the upstream could not be
 * reached or answered the handshake badly, the upstream's own status when it refused the handshake, 504 when it did
 * not answer in time.
 */
public final class UpstreamFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of failure: it decides the retry, the passive health and how loud the log line is. */
  public enum Kind {
    /** Refused, unreachable, unknown host, TLS failure, connection lost before an answer: tried on the next. */
    CONNECT("refused"),
    /** The upstream refused the handshake with an HTTP error status (401, 403, 404, 503...): passed on. */
    REJECTED("rejected"),
    /**
     * The upstream's answer is not a WebSocket handshake wsgate can take: a 2xx or 3xx, a broken {@code 101} (bad
     * accept, no {@code Upgrade}, cut short), or a subprotocol or extension that was not offered.
     */
    INVALID("invalid"),
    /** No answer within the connect timeout. */
    TIMEOUT("timeout");

    private final String outcome;

    Kind(String outcome) {
      this.outcome = outcome;
    }

    /** The {@code outcome} label of {@code wsgate_upstream_connects_total}. */
    public String outcome() {
      return outcome;
    }
  }

  private final Kind kind;
  private final transient HttpResponseStatus status;
  private final URI upstream;

  /**
   * @param upstream the upstream request's URI
   * @param message  the reason, in one line, without the upstream
   */
  public UpstreamFailure(Kind kind, HttpResponseStatus status, URI upstream, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
    this.status = status;
    this.upstream = upstream;
  }

  public Kind kind() {
    return kind;
  }

  /** The status the client gets. */
  public HttpResponseStatus status() {
    return status;
  }

  /** The upstream request's URI. */
  public URI upstream() {
    return upstream;
  }

  /** True for failures worth trying once on another instance. */
  public boolean retryable() {
    return kind == Kind.CONNECT;
  }
}
