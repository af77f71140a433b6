package dev.wsgate.server;

import dev.wsgate.proxy.UpstreamFailure;

/**
 * The {@code reason} tag of {@code wsgate_handshake_rejections_total}: why a handshake got an HTTP error, in a word,
 * next to its status. One reason per status but for 503 (limit or drain) and the upstream's failures.
 */
final class Rejection {
  static final String BAD_REQUEST = "bad_request";
  static final String ORIGIN = "origin";
  static final String NO_ROUTE = "no_route";
  static final String HANDSHAKE_TIMEOUT = "handshake_timeout";
  static final String NOT_WEBSOCKET = "not_websocket";
  static final String PER_ADDRESS = "per_address";
  static final String INTERNAL = "internal";
  static final String MAX_CONNECTIONS = "max_connections";
  static final String DRAINING = "draining";

  /** {@code Retry-After} of a 429 for {@code server.max-connections-per-address}, in seconds. */
  static final String PER_ADDRESS_RETRY_AFTER = "5";

  private Rejection() {
  }

  /** The reason of a refusal wsgate decides with {@code status} (not 503, whose reasons are two). */
  static String of(int status) {
    return switch (status) {
      case 400 -> BAD_REQUEST;
      case 403 -> ORIGIN;
      case 404 -> NO_ROUTE;
      case 408 -> HANDSHAKE_TIMEOUT;
      case 426 -> NOT_WEBSOCKET;
      case 429 -> PER_ADDRESS;
      case 503 -> MAX_CONNECTIONS;
      default -> INTERNAL;
    };
  }

  /** The reason of a refusal the upstream side caused: {@code upstream_refused}, {@code _rejected}... */
  static String of(UpstreamFailure f) {
    return "upstream_" + f.kind().outcome();
  }
}
