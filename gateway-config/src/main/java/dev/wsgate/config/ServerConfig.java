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
 * @param transport        the event loops' network transport ({@code server.transport})
 * @param proxyProtocol    whether connections start with a PROXY protocol header ({@code server.proxy-protocol})
 * @param trustedProxies   the peers whose {@code clientAddressHeader} is believed ({@code server.trusted-proxies})
 * @param clientAddressHeader the header trusted proxies append the client's address to
 * @param http2            whether the listener takes HTTP/2 next to HTTP/1.1 ({@code server.http2})
 * @param http2MaxStreams  streams a client may have open at once on one HTTP/2 connection
 *                         ({@code server.http2-max-streams}); see {@link #http2StreamLimit()}
 * @param maxConnectionsPerAddress the most connections at once from one client address; {@code 0} means no limit
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
    boolean reusePort,
    Transport transport,
    ProxyProtocol proxyProtocol,
    List<AddressRange> trustedProxies,
    ClientAddressHeader clientAddressHeader,
    Http2Mode http2,
    int http2MaxStreams,
    int maxConnectionsPerAddress) {

  public ServerConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    allowedOrigins = List.copyOf(allowedOrigins);
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(proxyProtocol, "proxyProtocol");
    trustedProxies = List.copyOf(trustedProxies);
    Objects.requireNonNull(clientAddressHeader, "clientAddressHeader");
    Objects.requireNonNull(http2, "http2");
  }

  /**
   * The {@code SETTINGS_MAX_CONCURRENT_STREAMS} a new HTTP/2 connection advertises: {@code http2-max-streams}, and
   * never more than {@code max-connections} (each stream holds a place of it, so more could never be served).
   */
  public int http2StreamLimit() {
    return maxConnections == 0 ? http2MaxStreams : Math.min(http2MaxStreams, maxConnections);
  }

  /** The configuration of {@code server:} when the file does not have one: the defaults of {@link Schema}. */
  public static ServerConfig defaults() {
    return Schema.SERVER.defaults();
  }
}
