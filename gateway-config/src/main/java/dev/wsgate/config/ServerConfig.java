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
 */
public record ServerConfig(
    ListenAddress listen,
    ListenAddress admin,
    int maxConnections,
    int maxFrameSize,
    Duration handshakeTimeout,
    List<String> allowedOrigins,
    Optional<TlsConfig> tls) {

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

  public ServerConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    allowedOrigins = List.copyOf(allowedOrigins);
    Objects.requireNonNull(tls, "tls");
  }

  /** The configuration of {@code server:} when the file does not have one. */
  public static ServerConfig defaults() {
    return new ServerConfig(DEFAULT_LISTEN, DEFAULT_ADMIN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_SIZE,
        DEFAULT_HANDSHAKE_TIMEOUT, List.of(), Optional.empty());
  }
}
