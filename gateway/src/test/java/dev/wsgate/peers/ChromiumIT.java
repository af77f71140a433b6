package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.wsgate.testing.BlackholeRelay;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real browser through wsgate: headless Chromium loads a page (served by the test on loopback) whose script opens
 * a WebSocket to wsgate, sends a text, writes the echo into the DOM and closes with 1000; the test reads the DOM
 * that Chromium dumps. wsgate only allows the page's origin, so the browser's own {@code Origin} header is part of
 * what is tested.
 *
 * <p>Why no {@code --virtual-time-budget}: a WebSocket is not a network fetch, so with nothing else pending the
 * virtual-time budget runs out as soon as the page is idle, and {@code --dump-dom} dumped the page before the
 * WebSocket had even opened. Holding the budget with a pending fetch does not help either: while virtual time is
 * paused for a fetch, Chromium 156 delayed the WebSocket's {@code open} event until the fetch ended. So the page
 * holds its load event instead (when {@code --dump-dom} dumps without a budget) with an image that the test answers
 * once the page reports its WebSocket closed; the test bounds that hold, and the browser's run, in real time.
 */
class ChromiumIT {

  /** How long Chromium may take, start to exit. */
  private static final Duration BROWSER = Duration.ofSeconds(60);
  /** How long the page's load event is held at most, waiting for its WebSocket to close. */
  private static final Duration HOLD = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private Path chromium;
  private HttpServer http;
  private ExecutorService httpThreads;
  private final CountDownLatch released = new CountDownLatch(1);
  private final AtomicInteger pagesServed = new AtomicInteger();
  private volatile String page = "";

  @BeforeEach
  void servePage() throws IOException {
    chromium = Peers.requireChromium();
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    httpThreads = Executors.newCachedThreadPool();
    http.setExecutor(httpThreads); // /hold waits while /release comes in
    http.createContext("/echo.html", exchange -> {
      pagesServed.incrementAndGet();
      byte[] body = page.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    // --dump-dom dumps the DOM at the page's load event. The page holds that event with an image from /hold,
    // which is answered once the page's WebSocket has closed and the page fetched /release (or after HOLD).
    http.createContext("/hold", exchange -> {
      try {
        released.await(HOLD.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    http.createContext("/release", exchange -> {
      released.countDown();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    http.start();
  }

  @AfterEach
  void stopPage() throws InterruptedException {
    if (http == null) {
      return; // skipped before the page server started
    }
    released.countDown();
    http.stop(0);
    httpThreads.shutdownNow();
    assertThat(httpThreads.awaitTermination(10, TimeUnit.SECONDS)).as("page server threads ended").isTrue();
  }

  private String pageOrigin() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  @Test
  void browserPageEchoesThroughWsgate() throws Exception {
    String text = "chromium " + UUID.randomUUID() + " 你好 ✓";
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.start(gatewayYaml(pageOrigin(), upstream))) {
      page = echoPage(gw.port(), text);
      String dom = dumpDom();

      assertThat(dom).as("the echo written into the DOM").contains("<p id=\"echo\">" + text + "</p>");
      assertThat(dom).as("how the browser saw the close").contains("<p id=\"close\">1000 done true</p>")
          .doesNotContain("<p id=\"error\">");
      long bytes = text.getBytes(StandardCharsets.UTF_8).length;
      String line = RecordingAppender.await(l -> l.contains(" upstream=" + upstream.uri() + " "),
          Duration.ofSeconds(10));
      assertThat(line)
          .contains(" route=/ ")
          .contains(" frames_in=1 bytes_in=" + bytes + " frames_out=1 bytes_out=" + bytes + " ")
          .contains(" close_code=1000 closed_by=client end=client-close close_reason=done");
      gw.awaitIdle(Duration.ofSeconds(10));
      assertThat(gw.gateway().sessions().size()).isZero();
    }
  }

  /**
   * Chromium always offers permessage-deflate; the upstream here takes none, so wsgate compresses the client leg
   * itself: the echo comes back intact, and a relay in front of wsgate sees a third of the bytes or less both ways.
   */
  @Test
  void browserMessagesAreCompressedOnTheClientLeg() throws Exception {
    String text = "chromium " + UUID.randomUUID() + " " + "{\"type\":\"quote\",\"bid\":101.25,\"ask\":101.5} ✓"
        .repeat(300);
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.start(gatewayYaml(pageOrigin(), upstream));
         BlackholeRelay relay = BlackholeRelay.to(gw.address())) {
      page = echoPage(relay.port(), text);
      String dom = dumpDom();

      assertThat(dom).as("the echo written into the DOM").contains("<p id=\"echo\">" + text + "</p>");
      assertThat(dom).contains("<p id=\"close\">1000 done true</p>");
      long bytes = text.getBytes(StandardCharsets.UTF_8).length;
      String line = RecordingAppender.await(l -> l.contains(" upstream=" + upstream.uri() + " "),
          Duration.ofSeconds(10));
      assertThat(line).as("wsgate counts what it relays, inflated")
          .contains(" frames_in=1 bytes_in=" + bytes + " frames_out=1 bytes_out=" + bytes + " ");
      BlackholeRelay.Link link = relay.links().get(0);
      assertThat(link.bytesToTarget()).as("bytes from the browser (handshake included), %d of text", bytes)
          .isLessThanOrEqualTo(bytes / 3);
      assertThat(link.bytesFromTarget()).as("bytes to the browser").isLessThanOrEqualTo(bytes / 3);
      gw.awaitIdle(Duration.ofSeconds(10));
      assertThat(gw.gateway().sessions().size()).isZero();
    }
  }

  @Test
  void browserPageFromAnotherOriginIsRefused() throws Exception {
    String text = "refused " + UUID.randomUUID();
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.start(gatewayYaml("https://app.example.com", upstream))) {
      page = echoPage(gw.port(), text);
      String dom = dumpDom();

      assertThat(dom).as("the page ran and saw its WebSocket fail")
          .contains("<p id=\"error\">error</p>")
          .contains("<p id=\"close\">1006  false</p>")
          .doesNotContain("<p id=\"echo\">");
      assertThat(gw.gateway().metrics().handshakeRejections(403)).as("handshakes refused with 403").isEqualTo(1.0);
      assertThat(upstream.poll(Duration.ZERO)).as("a connection to the upstream").isNull();
    }
  }

  /** wsgate allowing one origin, with route {@code /} to {@code upstream}. */
  private static String gatewayYaml(String allowedOrigin, RawUpstream upstream) {
    return "server:\n"
        + "  listen: 127.0.0.1:0\n"
        + "  admin: 127.0.0.1:0\n"
        + "  allowed-origins: [\"" + allowedOrigin + "\"]\n"
        + "routes:\n"
        + "  - path: /\n"
        + "    upstreams: [\"" + upstream.uri() + "\"]\n";
  }

  /**
   * A page that sends {@code text} to wsgate and shows what happens as elements {@code p#echo} (the echo),
   * {@code p#close} (code, reason, wasClean) and {@code p#error}. The script builds the elements, so the markup
   * the test looks for is in the DOM only when the event happened.
   */
  private static String echoPage(int gatewayPort, String text) {
    return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>wsgate echo</title></head><body>\n"
        + "<script>\n"
        + "// Holds the load event, when Chromium dumps the DOM, until the WebSocket has closed: see ChromiumIT.\n"
        + "const hold = document.createElement('img'); hold.src = '/hold'; document.body.appendChild(hold);\n"
        + "function show(id, t) {\n"
        + "  const p = document.createElement('p'); p.id = id; p.textContent = t; document.body.appendChild(p);\n"
        + "}\n"
        + "const ws = new WebSocket('ws://127.0.0.1:" + gatewayPort + "/browser');\n"
        + "ws.onopen = () => ws.send(" + jsString(text) + ");\n"
        + "ws.onmessage = (e) => { show('echo', e.data); ws.close(1000, 'done'); };\n"
        + "ws.onerror = () => show('error', 'error');\n"
        + "ws.onclose = (e) => {\n"
        + "  show('close', e.code + ' ' + e.reason + ' ' + e.wasClean);\n"
        + "  fetch('/release').catch(() => {});\n"
        + "};\n"
        + "</script>\n</body></html>\n";
  }

  private static String jsString(String s) {
    StringBuilder b = new StringBuilder("'");
    for (char c : s.toCharArray()) {
      if (c == '\'' || c == '\\' || c == '<' || c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('\'').toString();
  }

  /** Runs headless Chromium on the page and returns the DOM it dumps. */
  private String dumpDom() throws Exception {
    Path profile = Files.createDirectory(dir.resolve("profile"));
    List<String> command = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile, "--dump-dom", pageOrigin() + "/echo.html");
    try (PeerProcess browser = PeerProcess.start("chromium", command, Map.of(), dir)) {
      int code = browser.awaitExit(BROWSER);
      assertThat(code).as("chromium's exit code\n%s", browser.transcript()).isZero();
      assertThat(pagesServed.get()).as("pages served to chromium").isEqualTo(1);
      assertThat(released.getCount()).as("the page's WebSocket closed and the page said so (/release)\n%s",
          browser.transcript()).isZero();
      String dom = String.join("\n", browser.stdout());
      System.out.println("[chromium] exited 0; " + browser.liveDescendantsSeen().size()
          + " child process(es) seen still running");
      return dom;
    }
  }
}
