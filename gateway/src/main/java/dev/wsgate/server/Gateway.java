package dev.wsgate.server;

import dev.wsgate.admin.AdminServer;
import dev.wsgate.admin.AdminView;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.Http2Mode;
import dev.wsgate.config.ListenAddress;
import dev.wsgate.config.ProxyProtocol;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.config.ServerConfig;
import dev.wsgate.config.TlsFiles;
import dev.wsgate.config.Transport;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.proxy.CloseCodes;
import dev.wsgate.proxy.LegSockets;
import dev.wsgate.proxy.ProxyPipeline;
import dev.wsgate.proxy.SessionLifecycle;
import dev.wsgate.proxy.UpstreamConnector;
import dev.wsgate.routing.Route;
import dev.wsgate.routing.Router;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.ConnectionLimit;
import dev.wsgate.session.Session;
import dev.wsgate.session.SessionRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.ChannelBindException;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.ProxyProtocolSupportType;
import reactor.netty.resources.LoopResources;

/**
 * A running wsgate: the client listener with its routes, upstream connector and session registry, on one set of
 * event loops (on the transport of {@code server.transport}: see {@link TransportLoops}) shared by both legs of every
 * session; and the admin listener on a loop of its own, on the same transport.
 *
 * <p>A configuration can be {@linkplain #reload reloaded}: new sessions get it, live ones keep theirs. On
 * {@linkplain #drain drain} wsgate stops taking sessions and closes the live ones with 1001, spread over a window.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final LoopResources loops;
  private final Transport transport;
  private final boolean ownLoops;
  private final LoopResources adminLoops;
  private final DisposableServer server;
  private final AdminServer admin;
  private final SessionRegistry sessions;
  private final GatewayMetrics metrics;
  private final PrometheusMeterRegistry meters;
  private final ConnectionLimit limit;
  private final HandshakeHandler handler;
  private final Readiness readiness;
  private final TlsContexts tls;
  /** The HTTP/2 side of the listener, or null with {@code server.http2: off}. */
  private Http2Front http2;

  private Gateway(LoopResources loops, Transport transport, boolean ownLoops, LoopResources adminLoops,
      DisposableServer server, AdminServer admin, SessionRegistry sessions, GatewayMetrics metrics,
      PrometheusMeterRegistry meters, ConnectionLimit limit, HandshakeHandler handler, Readiness readiness,
      TlsContexts tls) {
    this.loops = loops;
    this.transport = transport;
    this.ownLoops = ownLoops;
    this.adminLoops = adminLoops;
    this.server = server;
    this.admin = admin;
    this.sessions = sessions;
    this.metrics = metrics;
    this.meters = meters;
    this.limit = limit;
    this.handler = handler;
    this.readiness = readiness;
    this.tls = tls;
  }

  /**
   * The check of TLS files to hand to {@link dev.wsgate.config.ConfigLoader#withTls}: it loads {@code server.tls}
   * and {@code upstream.ca-file} with the very code, and the {@link TlsEngine}, this gateway serves and connects
   * with.
   *
   * @throws IllegalStateException when {@code -Dwsgate.tls.engine} asks for an engine that cannot be had
   */
  public static TlsFiles tlsFiles() {
    return TlsContexts.chosen();
  }

  /**
   * Event loops for a gateway on {@code transport} ({@code server.transport}; {@code auto}: the first of
   * {@link TransportLoops#AUTO_ORDER} that loads): one per core, and an acceptor; daemon threads named
   * {@code wsgate-<transport>-n}.
   *
   * @throws GatewayStartException when the transport asked for cannot load here (one line, with the reason)
   */
  public static LoopResources newLoops(Transport transport) {
    return TransportLoops.create("wsgate", transport, 1, Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  /** Starts a gateway on event loops of its own, on {@code server.transport}. */
  public static Gateway start(GatewayConfig config) {
    return start(config, newLoops(config.server().transport()), true);
  }

  /**
   * Starts a gateway.
   *
   * @param loops    the event loops to run on: {@link #newLoops}' on {@code server.transport}, or any on
   *                 {@code auto}
   * @param ownLoops true to dispose of the loops when the gateway closes
   * @throws GatewayStartException    when a listener cannot be bound, a TLS file cannot be loaded, or
   *                                  {@code server.reuse-port} cannot be had on the transport (one line)
   * @throws IllegalArgumentException when {@code server.transport} names a transport the loops do not run on
   */
  public static Gateway start(GatewayConfig config, LoopResources loops, boolean ownLoops) {
    Objects.requireNonNull(config, "config");
    Transport transport = TransportLoops.of(loops);
    Transport asked = config.server().transport();
    if (asked != Transport.AUTO && asked != transport) {
      if (ownLoops) {
        dispose(loops);
      }
      throw new IllegalArgumentException("server.transport is " + asked + " but the event loops given run "
          + transport);
    }
    TlsEngine.Choice engine;
    try {
      engine = TlsEngine.choose();
    } catch (IllegalStateException e) {
      if (ownLoops) {
        dispose(loops);
      }
      throw new GatewayStartException(e.getMessage(), e);
    }
    TlsContexts tls = TlsContexts.of(engine.engine());
    SslContext serverTls;
    HandshakeHandler.Snapshot first;
    try {
      serverTls = config.server().tls().isPresent()
          ? tls.server(config.server().tls().get().cert(), config.server().tls().get().key(),
              config.server().http2() == Http2Mode.ON) : null;
      first = snapshot(config, loops, transport, null, tls);
    } catch (TlsContexts.Refused e) {
      if (ownLoops) {
        dispose(loops);
      }
      throw new GatewayStartException("cannot use TLS files: " + e.getMessage(), e);
    }
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayMetrics metrics = new GatewayMetrics(meters);
    metrics.bindJvmAndNetty();
    SessionRegistry sessions = new SessionRegistry();
    ConnectionLimit limit = new ConnectionLimit(config.server().maxConnections());
    Readiness readiness = new Readiness();
    HandshakeHandler handler = new HandshakeHandler(first, metrics, readiness);
    metrics.bindSessions(sessions, readiness::isDraining);
    metrics.routes(routeIds(config), sessions);
    metrics.bindConnections(limit::held, () -> handler.snapshot().config().server().maxConnections());
    HandshakeTimeout handshakeTimeout = new HandshakeTimeout(
        () -> handler.snapshot().config().server().handshakeTimeout(), () -> metrics.handshakeRejected(408,
        Rejection.HANDSHAKE_TIMEOUT));
    ListenAddress listen = config.server().listen();
    Http2Front http2 = config.server().http2() == Http2Mode.ON
        ? new Http2Front(handler, limit, sessions, metrics) : null;
    ProxyProtocol proxyProtocol = config.server().proxyProtocol();
    HttpServer http = LegSockets.clientLeg(HttpServer.create(), transport)
        .runOn(loops)
        .bindAddress(() -> new InetSocketAddress(listen.host(), listen.port()))
        .childOption(ChannelOption.TCP_NODELAY, true)
        .doOnChannelInit((observer, channel, remote) -> {
          HandshakeHandler.Snapshot snapshot = handler.snapshot();
          int mark = snapshot.config().server().writeBufferHighWaterMark();
          // Both legs of the configuration's sessions share one object for their marks.
          channel.config().setWriteBufferWaterMark(snapshot.connector().waterMark());
          SessionLifecycle.accept(channel, limit, sessions, metrics);
          handshakeTimeout.arm(channel);
          ChannelPipeline p = channel.pipeline();
          if (p.get(NettyPipeline.HttpCodec) == null) {
            throw new IllegalStateException("no HTTP codec in a new client connection's pipeline: " + p.names());
          }
          p.addBefore(NettyPipeline.HttpCodec, ProxyPipeline.EARLY_BYTES, new EarlyBytesHandler(mark));
          if (http2 != null) {
            p.addBefore(ProxyPipeline.EARLY_BYTES, ProxyPipeline.H2_PREFACE, new Http2Preface(http2::install));
          }
          if (proxyProtocol != ProxyProtocol.OFF) {
            // Reactor Netty's decoder (or, optional, its detector) is first; the refusal follows it and its reader.
            String after = p.get(NettyPipeline.ProxyProtocolReader) != null ? NettyPipeline.ProxyProtocolReader
                : NettyPipeline.ProxyProtocolDecoder;
            p.addAfter(after, ProxyPipeline.PROXY_HEADER_REFUSAL,
                new ProxyHeaderRefusal(proxyProtocol, metrics::proxyHeaderRefused));
          }
        })
        .handle(handler);
    if (proxyProtocol != ProxyProtocol.OFF) {
      http = http.proxyProtocol(proxyProtocol == ProxyProtocol.ON ? ProxyProtocolSupportType.ON
          : ProxyProtocolSupportType.AUTO);
    }
    if (config.server().reusePort()) {
      if (transport == Transport.NIO) {
        if (ownLoops) {
          dispose(loops);
        }
        Throwable cause = asked == Transport.NIO ? null : TransportLoops.unavailabilityCause(Transport.EPOLL);
        throw new GatewayStartException("server.reuse-port: true needs a native transport (epoll or io_uring, "
            + "Linux), and wsgate runs on nio" + (cause == null ? " (server.transport: nio)"
            : ": epoll did not load: " + TransportLoops.describe(cause)), cause);
      }
      http = http.option(UnixChannelOption.SO_REUSEPORT, true);
    }
    if (serverTls != null) {
      http = http.secure(spec -> spec.sslContext(serverTls));
    }
    LoopResources adminLoops = TransportLoops.create("wsgate-admin", transport, 1, 1);
    DisposableServer server;
    try {
      server = http.bindNow(Duration.ofSeconds(30));
    } catch (ChannelBindException e) {
      dispose(adminLoops);
      if (ownLoops) {
        dispose(loops);
      }
      throw new GatewayStartException("cannot listen on " + listen + ": " + rootMessage(e), e);
    }
    AdminServer admin;
    try {
      admin = AdminServer.start(config.server().admin(), adminLoops, new AdminView() {
        @Override
        public String notReadyBecause() {
          return readiness.notReadyBecause();
        }

        @Override
        public String scrape() {
          return meters.scrape();
        }

        @Override
        public List<Session> sessions() {
          return sessions.snapshot();
        }

        @Override
        public boolean draining() {
          return readiness.isDraining();
        }

        @Override
        public int liveSessions() {
          return sessions.size();
        }

        @Override
        public int liveSessions(String route) {
          return sessions.liveOnRoute(route);
        }

        @Override
        public Router router() {
          return handler.snapshot().router();
        }

        @Override
        public GatewayMetrics metrics() {
          return metrics;
        }
      });
    } catch (IllegalStateException e) {
      server.disposeNow();
      dispose(adminLoops);
      if (ownLoops) {
        dispose(loops);
      }
      throw new GatewayStartException(e.getMessage(), e);
    }
    Gateway gateway = new Gateway(loops, transport, ownLoops, adminLoops, server, admin, sessions, metrics, meters,
        limit, handler, readiness, tls);
    gateway.http2 = http2;
    log.info("wsgate listening on {}://{} ({} transport); admin on http://{}", config.server().tls().isPresent()
        ? "wss" : "ws", gateway.displayAddress(), transport,
        display(config.server().admin().host(), admin.address().getPort()));
    if (usesTls(config)) {
      if (engine.fallback()) {
        log.warn("TLS engine: {}, since {}; TLS sessions take more memory, and handshakes more CPU, with it",
            engine.engine(), engine.why());
      } else {
        log.info("TLS engine: {}, {}", engine.engine(), engine.why());
      }
    }
    logRoutes(handler.snapshot().router());
    return gateway;
  }

  // ----------------------------------------------------------------------------------------------- reload

  /**
   * Applies a new, valid configuration to new sessions, atomically; live sessions keep the one they started
   * with. Upstream instances that stay keep their sessions count and health.
   *
   * @return the changes that need a restart, and were not applied (listen and admin addresses, TLS, reuse-port,
   *         transport, proxy-protocol, http2)
   * @throws IllegalArgumentException when {@code upstream.ca-file} can no longer be loaded (it changed since the
   *                                  configuration was checked); nothing is applied
   */
  public List<String> reload(GatewayConfig next) {
    Objects.requireNonNull(next, "next");
    GatewayConfig current = config();
    List<String> notApplied = new ArrayList<>();
    ServerConfig was = current.server();
    ServerConfig is = next.server();
    if (!was.listen().equals(is.listen())) {
      notApplied.add("server.listen " + was.listen() + " -> " + is.listen());
    }
    if (!was.admin().equals(is.admin())) {
      notApplied.add("server.admin " + was.admin() + " -> " + is.admin());
    }
    if (!was.tls().equals(is.tls())) {
      notApplied.add("server.tls");
    }
    if (was.reusePort() != is.reusePort()) {
      notApplied.add("server.reuse-port " + was.reusePort() + " -> " + is.reusePort());
    }
    if (was.transport() != is.transport()) {
      notApplied.add("server.transport " + was.transport() + " -> " + is.transport());
    }
    if (was.http2() != is.http2()) {
      notApplied.add("server.http2 " + was.http2() + " -> " + is.http2());
    }
    if (was.proxyProtocol() != is.proxyProtocol()) {
      notApplied.add("server.proxy-protocol " + was.proxyProtocol() + " -> " + is.proxyProtocol());
    }
    try {
      handler.update(snapshot(next, loops, transport, handler.snapshot().router(), tls));
    } catch (TlsContexts.Refused e) {
      throw new IllegalArgumentException("cannot use TLS files: " + e.getMessage(), e);
    }
    limit.max(is.maxConnections());
    handler.addresses().max(is.maxConnectionsPerAddress());
    metrics.routes(routeIds(next), sessions);
    metrics.reload("applied");
    log.info("configuration reloaded: {} routes; new sessions use it, live sessions keep theirs", next.routes()
        .size());
    logRoutes(handler.snapshot().router());
    if (!notApplied.isEmpty()) {
      log.warn("configuration changes that need a restart, not applied: {}", String.join(", ", notApplied));
    }
    return notApplied;
  }

  /** A reload was refused (its errors logged by the caller): counted. */
  public void reloadRefused() {
    metrics.reload("refused");
  }

  private static HandshakeHandler.Snapshot snapshot(GatewayConfig config, LoopResources loops, Transport transport,
      Router previous, TlsContexts tls) throws TlsContexts.Refused {
    SslContext upstreamTls = tls.upstream(config.upstream().caFile());
    Map<String, UpstreamPool> before = previous == null ? Map.of() : previous.routes().stream()
        .collect(Collectors.toMap(Route::id, Route::upstreams, (a, b) -> a));
    List<Route> routes = new ArrayList<>();
    for (RouteConfig rc : config.routes()) {
      UpstreamPool pool = new UpstreamPool(rc.id(), rc.upstreams(), rc.balance(),
          config.upstream().failureBackoff(), before.get(rc.id()));
      routes.add(new Route(rc, pool));
    }
    UpstreamConnector connector = new UpstreamConnector(loops, transport, config.upstream(), upstreamTls,
        config.server().maxFrameSize(), config.server().writeBufferHighWaterMark());
    return new HandshakeHandler.Snapshot(config, new Router(routes), connector);
  }

  /** Whether TLS serves the listener or connects to any upstream. */
  private static boolean usesTls(GatewayConfig config) {
    return config.server().tls().isPresent() || config.routes().stream().flatMap(r -> r.upstreams().stream())
        .anyMatch(u -> "wss".equalsIgnoreCase(u.getScheme()));
  }

  private static java.util.Set<String> routeIds(GatewayConfig config) {
    return config.routes().stream().map(RouteConfig::id).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  // ----------------------------------------------------------------------------------------------- drain

  /**
   * Drains, blocking the caller until done: {@code /readyz} fails at once and new handshakes get 503; every live
   * session gets 1001 "going away" (after what was already relayed to it), at a random moment within
   * {@code shutdown.drain-window}; after {@code shutdown.drain-timeout} whatever is left is closed. Never call it
   * on an event loop.
   *
   * @return the sessions still live when the drain timeout ran out (they are closed by {@link #close()})
   */
  public int drain() throws InterruptedException {
    Duration timeout = config().shutdown().drainTimeout();
    Duration window = config().shutdown().drainWindow();
    readiness.startDraining();
    if (http2 != null) {
      http2.drain(); // GOAWAY: no new streams; each connection closes once its sessions have
    }
    List<Session> live = sessions.snapshot();
    log.info("draining {} sessions: 1001 going away, spread over {} ms, at most {} ms in all", live.size(),
        window.toMillis(), timeout.toMillis());
    ScheduledExecutorService spread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "wsgate-drain");
      t.setDaemon(true);
      return t;
    });
    try {
      long windowNanos = window.toNanos();
      for (Session s : live) {
        long at = windowNanos == 0 ? 0 : ThreadLocalRandom.current().nextLong(windowNanos);
        spread.schedule(() -> s.close(Session.EndCause.DRAIN, CloseCodes.GOING_AWAY, CloseCodes.DRAIN), at,
            TimeUnit.NANOSECONDS);
      }
      boolean empty = sessions.awaitEmpty(timeout);
      int left = empty ? 0 : sessions.size();
      if (left > 0) {
        log.warn("drain timeout: {} sessions still open; closing them", left);
      } else {
        log.info("drained");
      }
      return left;
    } finally {
      spread.shutdownNow();
    }
  }

  public boolean draining() {
    return readiness.isDraining();
  }

  /** Null when ready for traffic, else why not. */
  public String notReadyBecause() {
    return readiness.notReadyBecause();
  }

  // ----------------------------------------------------------------------------------------------- views

  /** The transport the gateway's event loops run on ({@code server.transport}, {@code auto} resolved). */
  public Transport transport() {
    return transport;
  }

  /** The address the client listener is bound to (with the real port when port 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.address();
  }

  /** The address the admin listener is bound to. */
  public InetSocketAddress adminAddress() {
    return admin.address();
  }

  /** The TLS implementation of the listener's {@code wss://} and of the {@code wss://} upstream client. */
  public TlsEngine tlsEngine() {
    return tls.engine();
  }

  /** The configuration new sessions get. */
  public GatewayConfig config() {
    return handler.snapshot().config();
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** The metrics in Prometheus' text format, as {@code /metrics} serves them. */
  public String scrape() {
    return meters.scrape();
  }

  /** The routes new sessions are matched against. */
  public Router router() {
    return handler.snapshot().router();
  }

  /** Sessions and handshakes under way that hold a place of {@code server.max-connections}. */
  public int connectionsHeld() {
    return limit.held();
  }

  /** Client addresses in the table of {@code server.max-connections-per-address}: those holding a connection. */
  public int clientAddressesHeld() {
    return handler.addresses().addresses();
  }

  /** Connections the table counts for {@code address} now. */
  public int connectionsHeldBy(String address) {
    return handler.addresses().held(address);
  }

  /** Stops listening and closes every connection at once. */
  @Override
  public void close() {
    readiness.stop();
    server.disposeNow(Duration.ofSeconds(10));
    admin.close();
    dispose(adminLoops);
    if (ownLoops) {
      dispose(loops);
    }
    meters.close();
  }

  // ----------------------------------------------------------------------------------------------- helpers

  private String displayAddress() {
    return display(config().server().listen().host(), address().getPort());
  }

  private static String display(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  private static void logRoutes(Router router) {
    Function<Route, String> describe = r -> r.config().upstreams() + " (" + r.config().balance() + ")";
    for (Route r : router.routes()) {
      log.info("route {} -> {}", r.id(), describe.apply(r));
    }
  }

  private static void dispose(LoopResources loops) {
    loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }
}
