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
    Duration closeTimeout) {

  /** {@code 0.0.0.0:8080}: every IPv4 interface, port 8080. */
  public static final ListenAddress DEFAULT_LISTEN = new ListenAddress("0.0.0.0", 8080);
  /** {@code 127.0.0.1:9090}: loopback only, so health and metrics are not exposed by accident. */
  public static final ListenAddress DEFAULT_ADMIN = new ListenAddress("127.0.0.1", 9090);
  /** 10,000 sessions. Each proxied session holds two sockets, so this needs about 20,000 open files. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /** The most {@code server.max-connections} may be: 1,000,000 sessions. */
  public static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  /** 1 MiB (1,048,576 bytes), as in Python {@code websockets}. */
  public static final int DEFAULT_MAX_FRAME_SIZE = 1 << 20;
  /** The smallest {@code server.max-frame-size}: 125 bytes, the largest control frame payload (RFC 6455, 5.5). */
  public static final int MIN_FRAME_SIZE = 125;
  /** The largest {@code server.max-frame-size}: 64 MiB. A frame is held whole in memory while it is decoded. */
  public static final int MAX_FRAME_SIZE_LIMIT = 64 << 20;
  /** 10 s: a client that has not sent its whole upgrade request by then is disconnected (slowloris). */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * 64 KiB, Netty's own default: per direction of a session, the bytes wsgate queues toward a peer that does not
   * read before it stops reading from the other peer. The resume mark is half of it.
   */
  public static final int DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK = 64 << 10;
  /** The smallest {@code server.write-buffer-high-water-mark}: 1 KiB. */
  public static final int MIN_WRITE_BUFFER_HIGH_WATER_MARK = 1 << 10;
  /** The largest {@code server.write-buffer-high-water-mark}: 64 MiB. */
  public static final int MAX_WRITE_BUFFER_HIGH_WATER_MARK = 64 << 20;
  /** 5 s for a peer to answer a close frame, as in Python {@code websockets} and browsers. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  public ServerConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    allowedOrigins = List.copyOf(allowedOrigins);
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
  }

  /** The configuration of {@code server:} when the file does not have one. */
  public static ServerConfig defaults() {
    return new ServerConfig(DEFAULT_LISTEN, DEFAULT_ADMIN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_SIZE,
        DEFAULT_HANDSHAKE_TIMEOUT, List.of(), Optional.empty(), DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK,
        DEFAULT_CLOSE_TIMEOUT);
  }
}
