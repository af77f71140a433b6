package dev.wsgate.server;

import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.ListenAddress;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.proxy.UpstreamConnector;
import dev.wsgate.routing.Route;
import dev.wsgate.routing.Router;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.SessionRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.ChannelBindException;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.SslProvider;

/**
 * A running wsgate: the client listener with its routes, upstream connector and session registry, on one set of
 * event loops (native epoll on Linux, NIO elsewhere) shared by both legs of every session.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final LoopResources loops;
  private final boolean ownLoops;
  private final DisposableServer server;
  private final Router router;
  private final SessionRegistry sessions;
  private final GatewayMetrics metrics;
  private final ConnectionLimit limit;

  private Gateway(GatewayConfig config, LoopResources loops, boolean ownLoops, DisposableServer server,
      Router router, SessionRegistry sessions, GatewayMetrics metrics, ConnectionLimit limit) {
    this.config = config;
    this.loops = loops;
    this.ownLoops = ownLoops;
    this.server = server;
    this.router = router;
    this.sessions = sessions;
    this.metrics = metrics;
    this.limit = limit;
  }

  /** Event loops for a gateway: one per core, daemon threads named {@code wsgate-...}. */
  public static LoopResources newLoops() {
    return LoopResources.create("wsgate", 1, Math.max(1, Runtime.getRuntime().availableProcessors()), true);
  }

  /** Starts a gateway on event loops of its own. */
  public static Gateway start(GatewayConfig config) {
    return start(config, newLoops(), true, new SimpleMeterRegistry());
  }

  /**
   * Starts a gateway.
   *
   * @param loops    the event loops to run on
   * @param ownLoops true to dispose of the loops when the gateway closes
   * @throws GatewayStartException when the listener cannot be bound
   */
  public static Gateway start(GatewayConfig config, LoopResources loops, boolean ownLoops, MeterRegistry meters) {
    Objects.requireNonNull(config, "config");
    GatewayMetrics metrics = new GatewayMetrics(meters);
    SessionRegistry sessions = new SessionRegistry();
    List<Route> routes = new ArrayList<>();
    for (RouteConfig rc : config.routes()) {
      routes.add(new Route(rc, new UpstreamPool(rc.id(), rc.upstreams(), rc.balance(),
          config.upstream().failureBackoff())));
    }
    Router router = new Router(routes);
    int highWaterMark = config.server().writeBufferHighWaterMark();
    UpstreamConnector connector = new UpstreamConnector(loops, config.upstream(), config.server().maxFrameSize(),
        highWaterMark);
    ConnectionLimit limit = new ConnectionLimit(config.server().maxConnections());
    HandshakeHandler handler = new HandshakeHandler(config, router, connector, sessions, metrics, limit);
    HandshakeTimeout handshakeTimeout = new HandshakeTimeout(config.server().handshakeTimeout(),
        () -> metrics.handshakeRejected(408));
    ListenAddress listen = config.server().listen();
    HttpServer http = HttpServer.create()
        .runOn(loops)
        .bindAddress(() -> new InetSocketAddress(listen.host(), listen.port()))
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(highWaterMark / 2,
            highWaterMark))
        .doOnChannelInit((observer, channel, remote) -> handshakeTimeout.arm(channel))
        .handle(handler);
    if (config.server().tls().isPresent()) {
      var tls = config.server().tls().get();
      SslProvider.GenericSslContextSpec<?> ssl = Http11SslContextSpec.forServer(tls.cert().toFile(),
          tls.key().toFile());
      http = http.secure(spec -> spec.sslContext(ssl));
    }
    DisposableServer server;
    try {
      server = http.bindNow(Duration.ofSeconds(30));
    } catch (ChannelBindException e) {
      if (ownLoops) {
        loops.disposeLater().block(Duration.ofSeconds(5));
      }
      throw new GatewayStartException("cannot listen on " + listen + ": " + rootMessage(e), e);
    }
    Gateway gateway = new Gateway(config, loops, ownLoops, server, router, sessions, metrics, limit);
    log.info("wsgate listening on {}://{} ({} transport)", config.server().tls().isPresent() ? "wss" : "ws",
        gateway.displayAddress(), LoopResources.hasNativeSupport() ? "epoll" : "nio");
    for (Route r : router.routes()) {
      log.info("route {} -> {} ({})", r.id(), r.config().upstreams(), r.config().balance());
    }
    return gateway;
  }

  /** The address the client listener is bound to (with the real port when port 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.address();
  }

  public GatewayConfig config() {
    return config;
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  public Router router() {
    return router;
  }

  /** Sessions and handshakes under way that hold a place of {@code server.max-connections}. */
  public int connectionsHeld() {
    return limit.held();
  }

  private String displayAddress() {
    InetSocketAddress a = address();
    String host = config.server().listen().host();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Stops listening and closes every connection at once. */
  @Override
  public void close() {
    server.disposeNow(Duration.ofSeconds(10));
    if (ownLoops) {
      loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }
}
