package dev.wsgate.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The client-facing side of wsgate ({@code server:} in YAML).
 *
 * @param listen           where clients connect ({@code server.listen})
 * @param admin            where health and metrics are served, apart from traffic ({@code server.admin})
 * @param maxConnections   the most sessions at once, counting handshakes under way; {@code 0} means no limit
 * @param maxFrameSize     the largest frame payload accepted from either peer, in bytes
 * @param handshakeTimeout how long a client may take to send a complete upgrade request
 * @param allowedOrigins   the {@code Origin} values accepted; empty means any origin (and none)
 * @param tls              the certificate and key when clients connect with {@code wss://}
 * @param writeBufferHighWaterMark bytes queued toward one peer above which wsgate stops reading from the other
 * @param closeTimeout     how long a peer gets to answer a close frame before its connection is closed
 * @param reusePort        true to listen with {@code SO_REUSEPORT}, sharing {@code listen} with other processes
 */
public record ServerConfig(
    ListenAddress listen,
    ListenAddress admin,
    int maxConnections,
    int maxFrameSize,
    Duration handshakeTimeout,
    List<String> allowedOrigins,
    Optional<TlsConfig> tls,
    int writeBufferHighWaterMark,
    Duration closeTimeout,
    boolean reusePort) {

  /** {@code 127.0.0.1:9090}: loopback only, so health and metrics are not exposed by accident. */
  /** 10,000 sessions. Each proxied session holds two sockets, so this needs about 20,000 open files. */
  /** The most {@code server.max-connections} may be: 1,000,000 sessions. */
  /** 1 MiB (1,048,576 bytes), as in Python {@code websockets}. */
  /** The smallest {@code server.max-frame-size}: 125 bytes, the largest control frame payload (RFC 6455, 5.5). */
  /** The largest {@code server.max-frame-size}: 64 MiB. A frame is held whole in memory while it is decoded. */
  /** 10 s: a client that has not sent its whole upgrade request by then is disconnected (slowloris). */

  /** The smallest {@code server.write-buffer-high-water-mark}: 1 KiB. */
  /** The largest {@code server.write-buffer-high-water-mark}: 64 MiB. */
  /** 5 s for a peer to answer a close frame, as in Python {@code websockets} and browsers. */

  public ServerConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    allowedOrigins = List.copyOf(allowedOrigins);
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
  }

  /** The configuration of {@code server:} when the file does not have one: the defaults of {@link Schema}. */
  public static ServerConfig defaults() {
    return Schema.SERVER.defaults();
  }
}
