package dev.wsgate.server;

import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.Leg;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.proxy.CloseCodes;
import dev.wsgate.proxy.LegSetup;
import dev.wsgate.proxy.ProxySessions;
import dev.wsgate.proxy.SessionLimits;
import dev.wsgate.proxy.SessionListener;
import dev.wsgate.proxy.UpstreamConnector;
import dev.wsgate.proxy.UpstreamFailure;
import dev.wsgate.proxy.UpstreamLeg;
import dev.wsgate.proxy.UpstreamRequest;
import dev.wsgate.routing.Route;
import dev.wsgate.routing.Router;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.AccessLog;
import dev.wsgate.session.Session;
import dev.wsgate.session.SessionRegistry;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * Handles each HTTP request on the client listener: checks it is a WebSocket handshake for a route, completes the
 * upstream handshake first, and only then upgrades the client, so that the client's 101 carries the subprotocol the
 * upstream chose. Every refusal is an HTTP answer with a status and a one-line reason:
 *
 * <table>
 *   <caption>handshake answers</caption>
 *   <tr><td>400</td><td>not GET, missing or bad {@code Sec-WebSocket-Key}, version other than 13, bad path</td></tr>
 *   <tr><td>403</td><td>{@code Origin} not in {@code server.allowed-origins}</td></tr>
 *   <tr><td>404</td><td>no route for the host and path</td></tr>
 *   <tr><td>426</td><td>a plain HTTP request on a route (no {@code Upgrade: websocket})</td></tr>
 *   <tr><td>502</td><td>upstream refused, unreachable, or answered the handshake badly</td></tr>
 *   <tr><td>503</td><td>{@code server.max-connections} reached, or wsgate is draining</td></tr>
 *   <tr><td>504</td><td>upstream did not complete its handshake within {@code upstream.connect-timeout}</td></tr>
 *   <tr><td>4xx, 5xx</td><td>the upstream's own refusal of the handshake, passed on</td></tr>
 * </table>
 * Refusals close the connection.
 */
final class HandshakeHandler implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {

  private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);

  /** What requests are handled with; replaced whole, atomically, on reload. */
  record Snapshot(GatewayConfig config, Router router, UpstreamConnector connector, OriginPolicy origins) {
    Snapshot(GatewayConfig config, Router router, UpstreamConnector connector) {
      this(config, router, connector, new OriginPolicy(config.server().allowedOrigins()));
    }
  }

  private final SessionRegistry registry;
  private final GatewayMetrics metrics;
  private final ConnectionLimit limit;
  private final boolean secure;
  private final BooleanSupplier draining;
  private volatile Snapshot snapshot;

  HandshakeHandler(Snapshot snapshot, SessionRegistry registry, GatewayMetrics metrics, ConnectionLimit limit,
      BooleanSupplier draining) {
    this.snapshot = snapshot;
    this.registry = registry;
    this.metrics = metrics;
    this.limit = limit;
    this.secure = snapshot.config().server().tls().isPresent();
    this.draining = draining;
  }

  /** New sessions are handled with {@code next}; sessions under way keep what they started with. */
  void update(Snapshot next) {
    this.snapshot = next;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  @Override
  public Publisher<Void> apply(HttpServerRequest req, HttpServerResponse res) {
    try {
      return handle(req, res);
    } catch (RuntimeException e) {
      log.error("request {} {}: unexpected failure", req.method(), req.uri(), e);
      return reject(res, "-", HttpResponseStatus.INTERNAL_SERVER_ERROR, "unexpected failure in wsgate");
    }
  }

  private Publisher<Void> handle(HttpServerRequest req, HttpServerResponse res) {
    Channel[] channel = new Channel[1];
    req.withConnection(c -> channel[0] = c.channel());
    HandshakeTimeout.disarm(channel[0]);
    Snapshot s = snapshot;
    HttpHeaders headers = req.requestHeaders();
    String requestId = requestId(headers);
    res.header(UpstreamRequest.X_REQUEST_ID, requestId);
    if (draining.getAsBoolean()) {
      res.header(HttpHeaderNames.RETRY_AFTER, "1");
      return reject(res, requestId, HttpResponseStatus.SERVICE_UNAVAILABLE, "wsgate is shutting down");
    }

    String uri = req.uri();
    int q = uri.indexOf('?');
    String rawPath = q < 0 ? uri : uri.substring(0, q);
    String rawQuery = q < 0 ? null : uri.substring(q + 1);
    if (!rawPath.startsWith("/") || hasDotSegment(rawPath)) {
      return reject(res, requestId, HttpResponseStatus.BAD_REQUEST, "bad request path: " + rawPath);
    }
    Optional<Route> found = s.router().route(headers.get(HttpHeaderNames.HOST), rawPath);
    if (found.isEmpty()) {
      return reject(res, requestId, HttpResponseStatus.NOT_FOUND, "no route for " + rawPath);
    }
    Route route = found.get();
    if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      res.header(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
      return reject(res, requestId, HttpResponseStatus.UPGRADE_REQUIRED,
          "route " + route.id() + " serves WebSocket only; send Upgrade: websocket");
    }
    String bad = badHandshake(req);
    if (bad != null) {
      if (!"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
        res.header(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
      }
      return reject(res, requestId, HttpResponseStatus.BAD_REQUEST, bad);
    }
    String origin = headers.get(HttpHeaderNames.ORIGIN);
    if (!s.origins().allows(origin)) {
      return reject(res, requestId, HttpResponseStatus.FORBIDDEN, "origin " + origin + " is not allowed");
    }
    ConnectionLimit.Permit permit = limit.tryAcquire();
    if (permit == null) {
      res.header(HttpHeaderNames.RETRY_AFTER, "1");
      return reject(res, requestId, HttpResponseStatus.SERVICE_UNAVAILABLE,
          "wsgate is at server.max-connections (" + s.config().server().maxConnections() + ")");
    }
    String clientIp = ip(req.remoteAddress());
    HttpHeaders upstreamHeaders = UpstreamRequest.headers(headers, route.config().headers(), clientIp, secure,
        requestId);
    String subprotocols = UpstreamRequest.subprotocols(headers);
    SessionLimits limits = SessionLimits.of(route.config());
    LegSetup upstreamSetup = LegSetup.of(route.config(), Leg.UPSTREAM, limits,
        metrics.heartbeat(route.id(), Leg.UPSTREAM));
    return connect(s, route, rawPath, rawQuery, upstreamHeaders, subprotocols, upstreamSetup)
        .flatMap(connected -> upgrade(s, res, route, connected, permit, requestId, address(req.remoteAddress()),
            limits))
        .onErrorResume(UpstreamFailure.class, f -> {
          permit.release();
          log.debug("request {}: {}", requestId, f.getMessage());
          return reject(res, requestId, f.status(), f.getMessage());
        })
        .doOnCancel(permit::release);
  }

  /** An upstream leg and its place on the instance it is connected to. */
  private record Connected(UpstreamLeg leg, UpstreamPool.Claim claim) {
    UpstreamPool.Instance instance() {
      return claim.instance();
    }
  }

  /** Connects to an instance of the route; on a connect failure, once more to the next instance. */
  private Mono<Connected> connect(Snapshot s, Route route, String rawPath, String rawQuery, HttpHeaders headers,
      String subprotocols, LegSetup setup) {
    UpstreamPool pool = route.upstreams();
    UpstreamPool.Instance first = pool.pick(null);
    return attempt(s, route, first, rawPath, rawQuery, headers, subprotocols, setup)
        .onErrorResume(UpstreamFailure.class, f -> {
      if (!f.retryable()) {
        return Mono.error(f);
      }
      UpstreamPool.Instance second = pool.pick(first);
      if (second == null) {
        return Mono.error(f);
      }
      log.debug("{}; trying {}", f.getMessage(), second);
      return attempt(s, route, second, rawPath, rawQuery, headers, subprotocols, setup);
    });
  }

  private Mono<Connected> attempt(Snapshot s, Route route, UpstreamPool.Instance instance, String rawPath,
      String rawQuery, HttpHeaders headers, String subprotocols, LegSetup setup) {
    URI target = UpstreamRequest.target(instance.uri(), route.config().path(), rawPath, rawQuery);
    return Mono.defer(() -> {
      UpstreamPool.Claim claim = instance.claim();
      long start = System.nanoTime();
      return s.connector().connect(target, headers, subprotocols, setup)
          .map(leg -> new Connected(leg, claim))
          .doOnNext(c -> metrics.upstreamConnect(route.id(), instance.uri(), "success", System.nanoTime() - start))
          .doOnError(UpstreamFailure.class, f -> {
            metrics.upstreamConnect(route.id(), instance.uri(), outcome(f), System.nanoTime() - start);
            if (f.kind() != UpstreamFailure.Kind.REJECTED) {
              route.upstreams().failed(instance, f.getCause() != null ? String.valueOf(f.getCause().getMessage())
                  : f.getMessage());
            }
          })
          .doOnError(e -> claim.release())
          .doOnCancel(claim::release);
    });
  }

  private static String outcome(UpstreamFailure f) {
    return switch (f.kind()) {
      case CONNECT -> "refused";
      case REJECTED -> "rejected";
      case TIMEOUT -> "timeout";
    };
  }

  private Mono<Void> upgrade(Snapshot s, HttpServerResponse res, Route route, Connected connected,
      ConnectionLimit.Permit permit, String requestId, String clientAddress, SessionLimits limits) {
    UpstreamLeg leg = connected.leg();
    route.upstreams().succeeded(connected.instance());
    WebsocketServerSpec.Builder builder = WebsocketServerSpec.builder()
        .maxFramePayloadLength(s.config().server().maxFrameSize())
        .handlePing(true);
    if (leg.subprotocol() != null) {
      builder.protocols(leg.subprotocol());
    }
    WebsocketServerSpec spec = builder.build();
    AtomicBoolean started = new AtomicBoolean();
    return res.sendWebsocket((in, out) -> {
      started.set(true);
      Connection[] holder = new Connection[1];
      in.withConnection(c -> holder[0] = c);
      Connection client = holder[0];
      Session session = new Session(registry.nextId(), requestId, route.id(), connected.instance().uri(),
          clientAddress, leg.subprotocol());
      registry.add(session);
      metrics.sessionOpened(route.id());
      ProxySessions.start(session, client, LegSetup.of(route.config(), Leg.CLIENT, limits,
          metrics.heartbeat(route.id(), Leg.CLIENT)), leg, s.config().server().closeTimeout(), limits,
          listener(connected.claim(), permit));
      if (draining.getAsBoolean()) {
        // Its handshake was under way when the drain began: it goes away with the others.
        session.close(Session.EndCause.DRAIN, CloseCodes.GOING_AWAY, CloseCodes.DRAIN);
      }
      return client.onDispose();
    }, spec)
        .then(Mono.fromRunnable(() -> {
          if (!started.get()) {
            abandon(connected, permit, requestId, "client handshake not completed");
          }
        }))
        .onErrorResume(e -> {
          if (!started.get()) {
            abandon(connected, permit, requestId, "client handshake failed: " + e.getMessage());
          }
          return Mono.empty();
        })
        .doOnCancel(() -> {
          if (!started.get()) {
            abandon(connected, permit, requestId, "client went away during its handshake");
          }
        })
        .then();
  }

  private void abandon(Connected connected, ConnectionLimit.Permit permit, String requestId, String why) {
    log.debug("request {}: {}; closing the upstream leg", requestId, why);
    connected.leg().abandon("client went away during the handshake");
    connected.claim().release();
    permit.release();
  }

  private SessionListener listener(UpstreamPool.Claim claim, ConnectionLimit.Permit permit) {
    return new SessionListener() {
      @Override
      public void protocolError(Session session, Leg leg, int code, String reason) {
        metrics.protocolError(leg, code);
        if (leg == Leg.CLIENT) {
          log.info("{}: client sent bad input, closed with {}: {}", session, code, reason);
        } else {
          log.warn("{}: upstream {} sent bad input, closed with {}: {}", session, session.upstream(), code, reason);
        }
      }

      @Override
      public void finished(Session session) {
        // Places, counts and the access log first: once a session is gone from the registry, it is all accounted.
        claim.release();
        permit.release();
        metrics.sessionEnded(session);
        AccessLog.log(session);
        registry.remove(session);
      }
    };
  }

  private Mono<Void> reject(HttpServerResponse res, String requestId, HttpResponseStatus status, String reason) {
    metrics.handshakeRejected(status.code());
    log.debug("request {}: {} {}", requestId, status.code(), reason);
    return res.status(status)
        .keepAlive(false)
        .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .sendString(Mono.just(status.code() + " " + status.reasonPhrase() + ": " + reason + "\n"))
        .then();
  }

  /** Why a request with {@code Upgrade: websocket} is not a valid handshake, or null when it is. */
  private static String badHandshake(HttpServerRequest req) {
    if (!HttpMethod.GET.equals(req.method())) {
      return "a WebSocket handshake is a GET, not " + req.method();
    }
    HttpHeaders h = req.requestHeaders();
    if (!h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      return "a WebSocket handshake needs Connection: Upgrade";
    }
    String version = h.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
    if (!"13".equals(version)) {
      return version == null ? "missing Sec-WebSocket-Version (expected 13)"
          : "unsupported Sec-WebSocket-Version " + version + " (expected 13)";
    }
    String key = h.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    if (key == null) {
      return "missing Sec-WebSocket-Key";
    }
    try {
      if (Base64.getDecoder().decode(key.strip()).length != 16) {
        return "Sec-WebSocket-Key is not 16 bytes in base64";
      }
    } catch (IllegalArgumentException e) {
      return "Sec-WebSocket-Key is not base64";
    }
    return null;
  }

  private static boolean hasDotSegment(String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..") || segment.equalsIgnoreCase("%2e")
          || segment.equalsIgnoreCase("%2e%2e") || segment.equalsIgnoreCase(".%2e")
          || segment.equalsIgnoreCase("%2e.")) {
        return true;
      }
    }
    return false;
  }

  private static String requestId(HttpHeaders headers) {
    String id = headers.get(UpstreamRequest.X_REQUEST_ID);
    if (id != null && !id.isBlank() && id.length() <= 200 && id.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
      return id;
    }
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return String.format("%016x%016x", r.nextLong(), r.nextLong());
  }

  private static String ip(SocketAddress address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress a = (InetSocketAddress) address;
      return a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    }
    return String.valueOf(address);
  }

  private static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress a = (InetSocketAddress) address;
      String ip = ip(a);
      return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + a.getPort();
    }
    return String.valueOf(address);
  }
}
