package dev.wsgate.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wsgate.config.Leg;
import dev.wsgate.config.ListenAddress;
import dev.wsgate.session.Session;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.ChannelBindException;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/**
 * The admin listener ({@code server.admin}), apart from traffic, on an event loop of its own so that it answers
 * while the traffic loops are busy:
 * <ul>
 *   <li>{@code GET /healthz}: 200 while the process serves (liveness);</li>
 *   <li>{@code GET /readyz}: 200 when listening, configured and not draining, else 503 with the reason;</li>
 *   <li>{@code GET /metrics}: Prometheus text format;</li>
 *   <li>{@code GET /sessions?limit=N&offset=M&route=R}: the live sessions as JSON, oldest first, at most
 *       {@value #MAX_PAGE} per page (default {@value #DEFAULT_PAGE});</li>
 *   <li>{@code GET /status.json}: the status page's data ({@link StatusReport});</li>
 *   <li>{@code GET /}: the status page ({@link StatusPage}), which refreshes itself from {@code /status.json}.</li>
 * </ul>
 *
 * <p>The status history ({@link StatusHistory}) takes its snapshots on a daemon thread of its own,
 * {@code wsgate-status}, every {@link StatusHistory#STEP}; this server owns it and stops it on close.
 */
public final class AdminServer implements AutoCloseable {

  public static final int DEFAULT_PAGE = 100;
  public static final int MAX_PAGE = 1000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  private final DisposableServer server;
  private final ScheduledExecutorService statusThread;

  private AdminServer(DisposableServer server, ScheduledExecutorService statusThread) {
    this.server = server;
    this.statusThread = statusThread;
  }

  public static AdminServer start(ListenAddress address, LoopResources loops, AdminView view) {
    Instant startedAt = Instant.now();
    long startedNanos = System.nanoTime();
    StatusHistory history = new StatusHistory(() -> view.metrics().counts(), () -> System.nanoTime() / 1_000_000,
        StatusHistory.STEP, StatusHistory.SPAN);
    StatusReport report = new StatusReport(view, history, startedAt, startedNanos);
    ScheduledExecutorService statusThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "wsgate-status");
      t.setDaemon(true);
      return t;
    });
    boolean started = false;
    try {
      DisposableServer server = HttpServer.create()
          .runOn(loops)
          .bindAddress(() -> new InetSocketAddress(address.host(), address.port()))
          .route(r -> r
              .get("/healthz", (req, res) -> text(res, HttpResponseStatus.OK, "ok\n"))
              .get("/readyz", (req, res) -> {
                String why = view.notReadyBecause();
                return why == null ? text(res, HttpResponseStatus.OK, "ready\n")
                    : text(res, HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + why + "\n");
              })
              .get("/metrics", (req, res) -> res.status(HttpResponseStatus.OK)
                  .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                  .sendString(Mono.fromCallable(view::scrape)))
              .get("/sessions", (req, res) -> sessions(req, res, view))
              .get("/status.json", (req, res) -> res.status(HttpResponseStatus.OK)
                  .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                  .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
                  .header("X-Content-Type-Options", "nosniff")
                  .sendString(Mono.fromCallable(() -> report.build().toString())))
              .get("/", (req, res) -> res.status(HttpResponseStatus.OK)
                  .header(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                  .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
                  .header(HttpHeaderNames.CONTENT_SECURITY_POLICY, StatusPage.CSP)
                  .header("X-Content-Type-Options", "nosniff")
                  .header("Referrer-Policy", "no-referrer")
                  .sendString(Mono.just(StatusPage.HTML)))
              .route(req -> true, (req, res) -> text(res, HttpResponseStatus.NOT_FOUND,
                  "not found; try /, /status.json, /healthz, /readyz, /metrics or /sessions\n")))
          .bindNow(Duration.ofSeconds(30));
      long step = StatusHistory.STEP.toMillis();
      statusThread.scheduleAtFixedRate(() -> {
        try {
          history.tick();
        } catch (RuntimeException e) {
          // A task that throws is never run again: log and carry on (the status page would only miss a snapshot).
          log.warn("status history: cannot take a snapshot of the counters: {}", e.toString());
          log.debug("status history snapshot failed", e);
        }
      }, step, step, TimeUnit.MILLISECONDS);
      started = true;
      return new AdminServer(server, statusThread);
    } catch (ChannelBindException e) {
      throw new IllegalStateException("cannot listen on the admin address " + address + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
    } finally {
      if (!started) {
        statusThread.shutdownNow();
      }
    }
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.address();
  }

  private static Publisher<Void> text(HttpServerResponse res, HttpResponseStatus status, String body) {
    return res.status(status).header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .sendString(Mono.just(body));
  }

  /**
   * A page of the live sessions. Bad parameters get 400 with the reason; an offset past the end, an empty page.
   */
  private static Publisher<Void> sessions(HttpServerRequest req, HttpServerResponse res, AdminView view) {
    Map<String, List<String>> q;
    try {
      q = new QueryStringDecoder(req.uri()).parameters();
    } catch (IllegalArgumentException e) {
      return text(res, HttpResponseStatus.BAD_REQUEST, "malformed query string: " + e.getMessage() + "\n");
    }
    int limit;
    int offset;
    try {
      limit = Math.min(MAX_PAGE, Math.max(0, Integer.parseInt(first(q, "limit", "" + DEFAULT_PAGE))));
      offset = Math.max(0, Integer.parseInt(first(q, "offset", "0")));
    } catch (NumberFormatException e) {
      return text(res, HttpResponseStatus.BAD_REQUEST, "limit and offset are whole numbers from 0 to "
          + Integer.MAX_VALUE + "\n");
    }
    String route = first(q, "route", null);
    List<Session> all = view.sessions().stream()
        .filter(s -> route == null || s.route().equals(route))
        .sorted(Comparator.comparingLong(Session::id))
        .toList();
    long now = System.nanoTime();
    ObjectNode page = JSON.createObjectNode();
    page.put("total", all.size());
    page.put("offset", offset);
    page.put("limit", limit);
    ArrayNode items = page.putArray("sessions");
    int from = Math.min(offset, all.size());
    int to = (int) Math.min(all.size(), (long) from + limit);
    for (Session s : all.subList(from, to)) {
      items.add(session(s, now));
    }
    return res.status(HttpResponseStatus.OK)
        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .sendString(Mono.just(page.toString()));
  }

  private static ObjectNode session(Session s, long now) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", s.id());
    o.put("request_id", s.requestId());
    o.put("route", s.route());
    o.put("upstream", s.upstream().toString());
    o.put("client", s.clientAddress());
    o.put("client_protocol", s.clientProtocol());
    o.put("subprotocol", s.subprotocol());
    o.put("opened_at", s.openedAt().toString());
    o.put("age_ms", (now - s.openedAtNanos()) / 1_000_000);
    o.put("frames_from_client", s.framesFromClient());
    o.put("bytes_from_client", s.bytesFromClient());
    o.put("frames_from_upstream", s.framesFromUpstream());
    o.put("bytes_from_upstream", s.bytesFromUpstream());
    ObjectNode legs = o.putObject("legs");
    for (Leg leg : Leg.values()) {
      Session.LegStatus l = s.leg(leg);
      ObjectNode n = legs.putObject(leg.yamlName());
      n.put("last_inbound_ms_ago", l.silenceNanos() < 0 ? -1 : l.silenceNanos() / 1_000_000);
      n.put("rtt_ms", l.lastRttNanos() < 0 ? -1 : l.lastRttNanos() / 1e6);
      n.put("pings_sent", l.pingsSent());
      n.put("pongs_received", l.pongsReceived());
      n.put("queued_bytes", l.queuedBytes());
      n.put("waiting_bytes", l.waitingBytes());
    }
    return o;
  }

  private static String first(Map<String, List<String>> q, String name, String fallback) {
    List<String> v = q.get(name);
    return v == null || v.isEmpty() ? fallback : v.get(0);
  }

  @Override
  public void close() {
    try {
      server.disposeNow(Duration.ofSeconds(5));
    } finally {
      statusThread.shutdownNow();
    }
  }
}
