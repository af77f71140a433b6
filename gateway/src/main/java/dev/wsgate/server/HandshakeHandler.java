package dev.wsgate.server;

import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.Leg;
import dev.wsgate.config.ServerConfig;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.proxy.CloseCodes;
import dev.wsgate.proxy.DeflateNegotiation;
import dev.wsgate.proxy.LegSetup;
import dev.wsgate.proxy.ProxyPipeline;
import dev.wsgate.proxy.ProxySession;
import dev.wsgate.proxy.SessionLifecycle;
import dev.wsgate.proxy.SessionLimits;
import dev.wsgate.proxy.SessionPlan;
import dev.wsgate.proxy.UpstreamConnector;
import dev.wsgate.proxy.UpstreamFailure;
import dev.wsgate.proxy.UpstreamRequest;
import dev.wsgate.routing.HashKeys;
import dev.wsgate.routing.Route;
import dev.wsgate.routing.Router;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.AddressLimit;
import dev.wsgate.session.Session;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.SocketAddress;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * Handles each HTTP request on the client listener: checks it is a WebSocket handshake for a route, picks an
 * upstream instance (trying the next once when a connection fails, with passive health), completes the upstream
 * handshake first, and only then upgrades the client, so that the client's 101 carries the subprotocol the upstream
 * chose. What the connection takes along the way (permit, claim, upstream leg, registry entry) belongs to its
 * {@link SessionLifecycle}, which releases it when the connections close, however the handshake ended.
 *
 * <p>Every refusal is an HTTP answer with a status and a one-line reason, and closes the connection:
 * <table>
 *   <caption>handshake answers</caption>
 *   <tr><td>400</td><td>not GET, missing or bad {@code Sec-WebSocket-Key}, version other than 13, a malformed
 *       request target ({@link RequestTarget}), a body, a request pipelined behind it</td></tr>
 *   <tr><td>403</td><td>{@code Origin} not in {@code server.allowed-origins}</td></tr>
 *   <tr><td>404</td><td>no route for the host and path</td></tr>
 *   <tr><td>426</td><td>a plain HTTP request on a route (no {@code Upgrade: websocket})</td></tr>
 *   <tr><td>429</td><td>{@code server.max-connections-per-address} reached by the client's address, with
 *       {@code Retry-After: 5}; before anything goes upstream</td></tr>
 *   <tr><td>500</td><td>an unexpected failure in wsgate (logged once, WARN, with the request id)</td></tr>
 *   <tr><td>502</td><td>upstream unreachable, or its answer is not a handshake wsgate can take</td></tr>
 *   <tr><td>503</td><td>{@code server.max-connections} reached, or wsgate is draining</td></tr>
 *   <tr><td>504</td><td>upstream did not complete its handshake within {@code upstream.connect-timeout}</td></tr>
 *   <tr><td>4xx, 5xx</td><td>the upstream's own refusal of the handshake, passed on</td></tr>
 * </table>
 */
final class HandshakeHandler implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {

  private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);

  /** What requests are handled with; replaced whole, atomically, on reload. */
  record Snapshot(GatewayConfig config, Router router, UpstreamConnector connector, OriginPolicy origins) {
    Snapshot(GatewayConfig config, Router router, UpstreamConnector connector) {
      this(config, router, connector, new OriginPolicy(config.server().allowedOrigins()));
    }
  }

  /** One request being handled: what every step needs. */
  private record Request(String id, Channel channel, HttpServerRequest req, HttpServerResponse res) {
  }

  private final GatewayMetrics metrics;
  private final AddressLimit addresses;
  private final boolean secure;
  private final Readiness readiness;
  private volatile Snapshot snapshot;

  HandshakeHandler(Snapshot snapshot, GatewayMetrics metrics, Readiness readiness) {
    this.snapshot = snapshot;
    this.metrics = metrics;
    this.addresses = new AddressLimit(snapshot.config().server().maxConnectionsPerAddress());
    this.secure = snapshot.config().server().tls().isPresent();
    this.readiness = readiness;
  }

  /** New sessions are handled with {@code next}; sessions under way keep what they started with. */
  void update(Snapshot next) {
    this.snapshot = next;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  GatewayMetrics metrics() {
    return metrics;
  }

  /** {@code server.max-connections-per-address}: the connections of each client address. */
  AddressLimit addresses() {
    return addresses;
  }

  Readiness readiness() {
    return readiness;
  }

  /** True when clients connect with TLS ({@code X-Forwarded-Proto: https} upstream). */
  boolean secure() {
    return secure;
  }

  @Override
  public Publisher<Void> apply(HttpServerRequest req, HttpServerResponse res) {
    Request r = new Request(requestId(req.requestHeaders()), channel(req), req, res);
    Mono<Void> answer;
    try {
      answer = handle(r);
    } catch (RuntimeException e) {
      answer = Mono.error(e);
    }
    return answer.onErrorResume(e -> unexpected(r, e));
  }

  private Mono<Void> handle(Request r) {
    HandshakeTimeout.disarm(r.channel());
    r.res().header(UpstreamRequest.X_REQUEST_ID, r.id());
    SessionLifecycle lifecycle = SessionLifecycle.of(r.channel());
    Snapshot s = snapshot;
    HttpHeaders headers = r.req().requestHeaders();
    if (readiness.isDraining()) {
      r.res().header(HttpHeaderNames.RETRY_AFTER, "1");
      return reject(r, HttpResponseStatus.SERVICE_UNAVAILABLE, Rejection.DRAINING, "wsgate is shutting down");
    }
    if (!lifecycle.admitted()) {
      r.res().header(HttpHeaderNames.RETRY_AFTER, "1");
      return reject(r, HttpResponseStatus.SERVICE_UNAVAILABLE,
          "wsgate is at server.max-connections (" + s.config().server().maxConnections() + ")");
    }
    String uri = r.req().uri();
    String badTarget = RequestTarget.refusal(uri);
    if (badTarget != null) {
      return reject(r, HttpResponseStatus.BAD_REQUEST, badTarget);
    }
    int q = uri.indexOf('?');
    String rawPath = q < 0 ? uri : uri.substring(0, q);
    String rawQuery = q < 0 ? null : uri.substring(q + 1);
    Optional<Route> found = s.router().route(headers.get(HttpHeaderNames.HOST), rawPath);
    if (found.isEmpty()) {
      return reject(r, HttpResponseStatus.NOT_FOUND, "no route for " + rawPath);
    }
    Route route = found.get();
    if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      r.res().header(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
      return reject(r, HttpResponseStatus.UPGRADE_REQUIRED,
          "route " + route.id() + " serves WebSocket only; send Upgrade: websocket");
    }
    String bad = badHandshake(r.req());
    if (bad != null) {
      if (!"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
        r.res().header(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
      }
      return reject(r, HttpResponseStatus.BAD_REQUEST, bad);
    }
    String origin = headers.get(HttpHeaderNames.ORIGIN);
    if (!s.origins().allows(origin)) {
      return reject(r, HttpResponseStatus.FORBIDDEN, "origin " + origin + " is not allowed");
    }
    if (pipelinedRequest(r.channel())) { // as early as it shows, before an upstream is connected for nothing
      return refusePipelined(r);
    }
    SocketAddress peerAddress = r.req().remoteAddress() != null ? r.req().remoteAddress()
        : r.channel().remoteAddress();
    ClientAddress peer = ClientAddress.peer(peerAddress);
    ClientAddress client = clientAddress(s, peer, headers);
    if (!lifecycle.admitAddress(addresses, client.ip())) {
      r.res().header(HttpHeaderNames.RETRY_AFTER, Rejection.PER_ADDRESS_RETRY_AFTER);
      return reject(r, HttpResponseStatus.TOO_MANY_REQUESTS, perAddressRefusal(client));
    }
    return connect(s, lifecycle, route, r.id(), headers, peer, client, rawPath, rawQuery,
        DeflateNegotiation.of(headers, route.config()))
        .flatMap(session -> upgrade(r, s, lifecycle, session))
        .onErrorResume(UpstreamFailure.class, f -> upstreamFailed(r, route, f));
  }

  /**
   * The client's address of a request (an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT alike): the peer (the PROXY
   * header's source or the TCP peer), or what the trusted proxies and the request's headers give.
   */
  static ClientAddress clientAddress(Snapshot s, ClientAddress peer, HttpHeaders headers) {
    ServerConfig server = s.config().server();
    return ClientAddress.of(peer, headers, server.trustedProxies(), server.clientAddressHeader());
  }

  /** The one-line reason of a 429 for {@code server.max-connections-per-address}. */
  String perAddressRefusal(ClientAddress client) {
    return "client address " + client.ip() + " is at server.max-connections-per-address (" + addresses.max() + ")";
  }

  /**
   * The session a checked request asks for (an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT alike), its upstream
   * leg connected: its plan, with the client's address ({@link #clientAddress}), and the headers sent upstream.
   */
  Mono<ProxySession> connect(Snapshot s, SessionLifecycle lifecycle, Route route, String requestId,
      HttpHeaders headers, ClientAddress peer, ClientAddress client, String rawPath, String rawQuery,
      DeflateNegotiation deflate) {
    SessionLimits limits = SessionLimits.of(route.config());
    ServerConfig server = s.config().server();
    SessionPlan plan = new SessionPlan(requestId, route.id(), client.display(), limits, server.closeTimeout(),
        LegSetup.of(route.id(), route.config(), route.heartbeat(Leg.CLIENT, metrics), limits, metrics),
        LegSetup.of(route.id(), route.config(), route.heartbeat(Leg.UPSTREAM, metrics), limits, metrics), deflate);
    HttpHeaders upstreamHeaders = UpstreamRequest.headers(headers, route.config().headers(), peer.ip(),
        server.clientAddressHeader(), secure, requestId);
    String hashKey = HashKeys.of(route.config().hashKey(), headers, rawQuery, client.ip());
    return connect(s, lifecycle, route, plan, hashKey, rawPath, rawQuery, upstreamHeaders,
        UpstreamRequest.subprotocols(headers));
  }

  /**
   * Connects to an instance of the route (for {@code hashKey} under {@code balance: hash}); on a connect failure,
   * once more to the next instance (the key's next-highest).
   */
  private Mono<ProxySession> connect(Snapshot s, SessionLifecycle lifecycle, Route route, SessionPlan plan,
      String hashKey, String rawPath, String rawQuery, HttpHeaders headers, String subprotocols) {
    UpstreamPool pool = route.upstreams();
    UpstreamPool.Instance first = pool.pick(null, hashKey);
    return attempt(s, lifecycle, route, first, plan, rawPath, rawQuery, headers, subprotocols)
        .onErrorResume(UpstreamFailure.class, f -> {
          if (!f.retryable()) {
            return Mono.error(f);
          }
          UpstreamPool.Instance second = pool.pick(first, hashKey);
          if (second == null) {
            return Mono.error(f);
          }
          log.debug("request {}: {}; trying {}", plan.requestId(), f.getMessage(), second);
          return attempt(s, lifecycle, route, second, plan, rawPath, rawQuery, headers, subprotocols);
        });
  }

  private Mono<ProxySession> attempt(Snapshot s, SessionLifecycle lifecycle, Route route,
      UpstreamPool.Instance instance, SessionPlan plan, String rawPath, String rawQuery, HttpHeaders headers,
      String subprotocols) {
    return Mono.defer(() -> {
      UpstreamRequest.Target target = UpstreamRequest.target(instance.uri(), route.config().path(), rawPath,
          rawQuery);
      long start = System.nanoTime();
      return s.connector().connect(instance, target, headers, subprotocols, lifecycle, plan)
          .doOnNext(session -> {
            metrics.upstreamConnect(route.id(), instance.uri(), "success", System.nanoTime() - start);
            route.upstreams().succeeded(instance);
          })
          .doOnError(UpstreamFailure.class, f -> {
            metrics.upstreamConnect(route.id(), instance.uri(), f.kind().outcome(), System.nanoTime() - start);
            if (f.kind() == UpstreamFailure.Kind.CONNECT || f.kind() == UpstreamFailure.Kind.TIMEOUT) {
              route.upstreams().failed(instance, f.getCause() == null ? f.getMessage()
                  : f.getCause().getMessage() != null ? f.getCause().getMessage() : f.getCause().toString());
            }
          });
    });
  }

  /**
   * The upstream leg is up: the client gets its {@code 101}, and the session starts, with the frames that came
   * with the handshake first. A client that left meanwhile, or a request pipelined behind its upgrade, ends it:
   * closing the client connection is enough, the lifecycle then closes the upstream leg (1001).
   */
  private Mono<Void> upgrade(Request r, Snapshot s, SessionLifecycle lifecycle, ProxySession session) {
    if (pipelinedRequest(r.channel())) { // it came during the upstream handshake
      return refusePipelined(r);
    }
    WebsocketServerSpec.Builder builder = WebsocketServerSpec.builder()
        .maxFramePayloadLength(s.config().server().maxFrameSize())
        .handlePing(true);
    if (session.subprotocol() != null) {
      builder.protocols(session.subprotocol());
    }
    String extensions = session.clientExtensions();
    if (extensions != null) {
      r.res().header(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, extensions); // Netty's handshaker adds it to the 101
    }
    return r.res().sendWebsocket((in, out) -> {
      try {
        // wsgate's frame decoder takes the place of Netty's before the first frame: the early bytes are still held.
        ProxyPipeline.replaceClientDecoder(r.channel().pipeline(), s.config().server().maxFrameSize());
        if (lifecycle.start() != null) {
          EarlyBytesHandler early = EarlyBytesHandler.of(r.channel());
          if (early != null) {
            early.release();
          }
          if (readiness.isDraining()) {
            // Its handshake was under way when the drain began: it goes away with the others.
            session.close(Session.EndCause.DRAIN, CloseCodes.GOING_AWAY, CloseCodes.DRAIN);
          }
          // The session owns the channel now; nothing of Reactor's waits on it (ProxyPipeline.leaveReactor).
          return Mono.never();
        }
      } catch (RuntimeException e) {
        unexpectedAfterUpgrade(r.id(), r.channel(), lifecycle, session, e);
      }
      return Connection.from(r.channel()).onDispose();
    }, builder.build())
        .then(Mono.fromRunnable(() -> {
          if (!lifecycle.started()) {
            r.channel().close(); // no upgrade after all: the lifecycle ends the upstream leg
          }
        }))
        .onErrorResume(e -> {
          log.debug("request {}: client upgrade failed: {}", r.id(), e.toString());
          r.channel().close();
          return Mono.empty();
        })
        .then();
  }

  /**
   * One line per request whose upstream handshake failed, with request id, route, upstream and the status the client
   * gets: INFO when the upstream refused (401, 403... an application's decision), WARN when it could not be reached or
   * did not answer with a handshake (an operator's problem). Never a stack trace.
   */
  private Mono<Void> upstreamFailed(Request r, Route route, UpstreamFailure f) {
    logUpstreamFailure(r.id(), route, f);
    return reject(r, f.status(), Rejection.of(f), f.getMessage());
  }

  /** One line for a request the upstream side failed: INFO when an upstream refused it, WARN otherwise. */
  static void logUpstreamFailure(String requestId, Route route, UpstreamFailure f) {
    if (f.kind() == UpstreamFailure.Kind.REJECTED) {
      log.info("request {} route {} upstream {}: refused the handshake with {}", requestId, route.id(), f.upstream(),
          f.status().code());
    } else {
      log.warn("request {} route {}: {} (answered {})", requestId, route.id(), f.getMessage(), f.status().code());
    }
  }

  /** Something wsgate did not expect: 500, one WARN line (the stack trace at DEBUG), and the connection closed. */
  private Mono<Void> unexpected(Request r, Throwable e) {
    log.warn("request {} {} {}: unexpected failure, answered 500: {}", r.id(), r.req().method(),
        RequestTarget.printable(r.req().uri()), String.valueOf(e));
    log.debug("request {}: the unexpected failure", r.id(), e);
    return reject(r, HttpResponseStatus.INTERNAL_SERVER_ERROR, "unexpected failure in wsgate");
  }

  /**
   * Something wsgate did not expect once the client is upgraded: the session ends with 1011 on both legs (a session
   * that could not start has its client connection closed).
   */
  static void unexpectedAfterUpgrade(String requestId, Channel client, SessionLifecycle lifecycle,
      ProxySession session, RuntimeException e) {
    log.warn("request {}: unexpected failure starting its session, closed with 1011: {}", requestId,
        String.valueOf(e));
    log.debug("request {}: the unexpected failure", requestId, e);
    session.close(Session.EndCause.ERROR, CloseCodes.INTERNAL_ERROR, "unexpected failure in wsgate");
    if (!lifecycle.started()) {
      client.close();
    }
  }

  /**
   * An HTTP refusal: counted, logged at DEBUG, answered with the status and a one-line reason, and the connection
   * closed. When an answer has already begun, the connection is only closed.
   */
  private Mono<Void> reject(Request r, HttpResponseStatus status, String reason) {
    return reject(r, status, Rejection.of(status.code()), reason);
  }

  /** The same, counted with the {@code reason} tag {@code tag}. */
  private Mono<Void> reject(Request r, HttpResponseStatus status, String tag, String reason) {
    metrics.handshakeRejected(status.code(), tag);
    log.debug("request {}: {} {}", r.id(), status.code(), reason);
    if (r.res().hasSentHeaders()) {
      r.channel().close();
      return Mono.empty();
    }
    return r.res().status(status)
        .keepAlive(false)
        .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .sendString(Mono.just(status.code() + " " + status.reasonPhrase() + ": " + reason + "\n"))
        .then();
  }

  private Mono<Void> refusePipelined(Request r) {
    return reject(r, HttpResponseStatus.BAD_REQUEST, "a request pipelined behind a WebSocket upgrade request");
  }

  private static boolean pipelinedRequest(Channel channel) {
    EarlyBytesHandler early = EarlyBytesHandler.of(channel);
    return early != null && early.pipelinedRequest();
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
          : "unsupported Sec-WebSocket-Version " + RequestTarget.printable(version) + " (expected 13)";
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
    if (h.contains(HttpHeaderNames.TRANSFER_ENCODING) || !"0".equals(h.get(HttpHeaderNames.CONTENT_LENGTH, "0"))) {
      return "a WebSocket handshake has no body (Content-Length or Transfer-Encoding sent)";
    }
    return null;
  }

  private static Channel channel(HttpServerRequest req) {
    Channel[] channel = new Channel[1];
    req.withConnection(c -> channel[0] = c.channel());
    return channel[0];
  }

  static String requestId(HttpHeaders headers) {
    String id = headers.get(UpstreamRequest.X_REQUEST_ID);
    if (id != null && !id.isBlank() && id.length() <= 200 && id.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
      return id;
    }
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return String.format("%016x%016x", r.nextLong(), r.nextLong());
  }
}
