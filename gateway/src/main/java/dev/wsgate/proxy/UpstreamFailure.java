package dev.wsgate.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Why a connection to an upstream failed, as the HTTP answer the client gets: 502 when the upstream refused or
 * could not be reached, the upstream's own status when it rejected the handshake, 504 when it did not answer in
 * time.
 */
public final class UpstreamFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of failure: it decides the retry and the passive health. */
  public enum Kind {
    /** Refused, unreachable, unknown host, TLS failure, connection lost before an answer: tried on the next. */
    CONNECT,
    /** The upstream answered the handshake with an error status, or a broken 101. */
    REJECTED,
    /** No answer within the connect timeout. */
    TIMEOUT
  }

  private final Kind kind;
  private final transient HttpResponseStatus status;

  public UpstreamFailure(Kind kind, HttpResponseStatus status, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
    this.status = status;
  }

  public Kind kind() {
    return kind;
  }

  /** The status the client gets. */
  public HttpResponseStatus status() {
    return status;
  }

  /** True for failures worth trying once on another instance. */
  public boolean retryable() {
    return kind == Kind.CONNECT;
  }
}
