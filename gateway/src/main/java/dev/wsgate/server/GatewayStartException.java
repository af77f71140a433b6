package dev.wsgate.server;

/** wsgate could not start, for a reason the message states in one line (a port in use, say). */
public final class GatewayStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GatewayStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
