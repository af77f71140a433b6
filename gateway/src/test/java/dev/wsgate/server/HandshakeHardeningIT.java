package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.Released;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nothing a client sends with its handshake can take a permit, a session or a buffer for good: with
 * {@code server.max-connections: 3}, every bad request is answered, and afterwards the gateway still takes
 * sessions and holds exactly what it held before ({@link Released}).
 */
class HandshakeHardeningIT {

  private static final int MAX = 3;

  private RawUpstream upstream;
  private TestGateway gw;

  @BeforeEach
  void start() throws Exception {
    upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
    gw = TestGateway.start("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          max-connections: 3
        routes:
          - path: /echo
            upstreams: ["ws://127.0.0.1:${UP}/ws"]
          - path: /boom
            upstreams: ["ws://127.0.0.1:${UP}"]
        """, Map.of("UP", "" + upstream.port()));
    assertASessionWorks(); // warm: the check below counts open files from a gateway that has served
  }

  @AfterEach
  void stop() throws Exception {
    try {
      gw.close();
    } finally {
      upstream.close();
    }
  }

  // --------------------------------------------------------------------------------------- request targets

  /**
   * The lock-out: three handshakes with a broken percent-escape used to get 500 and keep their permit, and
   * every client after them 503. Each target is sent more times than there are permits.
   */
  @ParameterizedTest
  @ValueSource(strings = {"/echo?x=%zz", "/echo/%zz", "/echo?x=%4", "/echo/%", "/echo?a=%G1&b=2", "/echo#frag",
      "/echo/\u0001x", "/echo?x=\u007f", "/echo/\u00c3\u00a9t\u00c3\u00a9", "/echo?q=\u00ff"})
  void malformedRequestTargetsGet400AndReleaseEverything(String target) throws Exception {
    Released before = Released.from(gw);
    for (int i = 0; i < MAX + 2; i++) {
      RawWebSocket.Response r = RawWebSocket.exchange(gw.address(),
          RawWebSocket.head("GET " + target + " HTTP/1.1", RawWebSocket.handshakeHeaders(gw.address())));
      assertThat(r.status()).as("answer to %s: %s", target, r.body()).isEqualTo(400);
      assertThat(r.body().lines().count()).as("a one-line reason: %s", r.body()).isLessThanOrEqualTo(1);
    }
    assertThat(upstream.poll(Duration.ofMillis(100))).as("nothing reached the upstream").isNull();
    before.assertBack();
    assertASessionWorks();
  }

  @Test
  void theReasonNamesWhatIsWrong() throws Exception {
    assertThat(refusal("/echo?x=%zz")).isEqualTo("400 Bad Request: invalid percent-escape %zz at position 8 of the "
        + "request target\n");
    assertThat(refusal("/echo?x=%4")).isEqualTo("400 Bad Request: truncated percent-escape %4 at the end of the "
        + "request target\n");
    assertThat(refusal("/echo/\u00c3\u00a9")).isEqualTo("400 Bad Request: raw byte 0xc3 outside ASCII at position 6 "
        + "of the request target (percent-encode it)\n");
  }

  /** What RFC 3986 leaves out but browsers send unescaped goes upstream as sent (as nginx passes it). */
  @Test
  void printableCharactersGoUpstreamUnchanged() throws Exception {
    String target = "/echo/a|b{c}?q={\"k\":[1,2]}&p=a|b^`<>\\";
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), target)) {
      RawUpstream.Conn up = upstream.take();
      assertThat(up.request().startLine()).isEqualTo("GET /ws/a|b{c}?q={\"k\":[1,2]}&p=a|b^`<>\\ HTTP/1.1");
      WsEndpoint.closeCleanly(client, up);
    }
  }

  // --------------------------------------------------------------------------------------- bodies

  /** An upgrade request has no body: 400, and the body's bytes are released (Netty's detector at paranoid). */
  @ParameterizedTest
  @ValueSource(strings = {"content-length", "chunked"})
  void anUpgradeRequestWithABodyGets400AndItsBufferIsReleased(String framing) throws Exception {
    Released before = Released.from(gw);
    byte[] body = new byte[8192];
    java.util.Arrays.fill(body, (byte) 'b');
    for (int i = 0; i < 50; i++) {
      Map<String, String> headers = RawWebSocket.handshakeHeaders(gw.address());
      ByteArrayOutputStream request = new ByteArrayOutputStream();
      if (framing.equals("chunked")) {
        headers.put("Transfer-Encoding", "chunked");
        request.write(RawWebSocket.head("GET /echo HTTP/1.1", headers));
        request.write(("2000\r\n").getBytes(StandardCharsets.US_ASCII));
        request.write(body);
        request.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      } else {
        headers.put("Content-Length", "" + body.length);
        request.write(RawWebSocket.head("GET /echo HTTP/1.1", headers));
        request.write(body);
      }
      RawWebSocket.Response r = RawWebSocket.exchange(gw.address(), request.toByteArray());
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).isEqualTo("400 Bad Request: a WebSocket handshake has no body (Content-Length or "
          + "Transfer-Encoding sent)\n");
    }
    before.assertBack();
    assertASessionWorks();
  }

  // --------------------------------------------------------------------------------------- bytes with the handshake

  /** Frames written with the request (same packet), and right after it before any answer, are relayed in order. */
  @Test
  void framesSentWithTheHandshakeAreRelayedInOrder() throws Exception {
    byte[] early = frames("one", "two", "three");
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/echo", Map.of(), early)) {
      RawUpstream.Conn up = upstream.take();
      client.sendText("four");
      for (String expected : new String[] {"one", "two", "three", "four"}) {
        assertThat(up.readData().text()).isEqualTo(expected);
      }
      up.sendText("back");
      assertThat(client.readData().text()).isEqualTo("back");
      WsEndpoint.closeCleanly(client, up);
    }
  }

  /** A request pipelined behind an upgrade request: 400 before the upgrade. */
  @Test
  void aRequestPipelinedBehindTheUpgradeGets400() throws Exception {
    Released before = Released.from(gw);
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(RawWebSocket.head("GET /echo HTTP/1.1", RawWebSocket.handshakeHeaders(gw.address())));
    request.write(RawWebSocket.head("GET /echo HTTP/1.1", Map.of("Host", "x")));
    RawWebSocket.Response r = RawWebSocket.exchange(gw.address(), request.toByteArray());
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("400 Bad Request: a request pipelined behind a WebSocket upgrade request\n");
    before.assertBack();
  }

  /** An HTTP request sent after the 101 is a protocol error on the WebSocket: 1002, and the upstream 1001. */
  @Test
  void aRequestAfterTheUpgradeGets1002() throws Exception {
    Released before = Released.from(gw);
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/echo")) {
      RawUpstream.Conn up = upstream.take();
      client.socket().getOutputStream().write(RawWebSocket.head("GET /echo HTTP/1.1", Map.of("Host", "x")));
      assertThat(client.readClose().closeCode()).isEqualTo(1002);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
    }
    before.assertBack();
  }

  // --------------------------------------------------------------------------------------- connections

  /** {@code server.max-connections} counts a connection from accept, before its request is complete. */
  @Test
  void maxConnectionsCountsAConnectionFromAccept() throws Exception {
    Released before = Released.from(gw);
    List<Socket> silent = new ArrayList<>();
    try {
      for (int i = 0; i < MAX; i++) {
        silent.add(RawWebSocket.open(gw.address()));
      }
      dev.wsgate.testing.Awaits.until("3 connections held", Duration.ofSeconds(5),
          () -> gw.gateway().connectionsHeld() == MAX);
      RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET /echo HTTP/1.1",
          RawWebSocket.handshakeHeaders(gw.address()));
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.head().header("retry-after")).isEqualTo("1");
    } finally {
      for (Socket s : silent) {
        s.close();
      }
    }
    before.assertBack();
    assertASessionWorks();
  }

  /** Clients that leave during the upstream handshake or right after it give everything back. */
  @Test
  void clientsLeavingMidHandshakeReleaseEverything() throws Exception {
    Released before = Released.from(gw);
    for (int i = 0; i < 20; i++) {
      Socket s = RawWebSocket.open(gw.address());
      s.getOutputStream().write(RawWebSocket.head("GET /echo HTTP/1.1", RawWebSocket.handshakeHeaders(gw.address())));
      if (i % 2 == 0) {
        s.setSoLinger(true, 0); // a reset, half of them
      }
      s.close();
    }
    // An upstream connection whose handshake wsgate completed gets 1001, and is closed by the upstream as a server
    // does; one whose handshake was still under way when the client left is closed at once (as nginx aborts an
    // upstream request when its client goes), even if the upstream had sent its 101 meanwhile.
    for (RawUpstream.Conn up; (up = upstream.poll(Duration.ofMillis(500))) != null; ) {
      try {
        WsFrame close = up.readClose();
        assertThat(close.closeCode()).isEqualTo(1001);
        // Before wsgate's 101 went out, or after it (the client left as it was written): both are the client gone.
        assertThat(close.closeReason()).isIn("client went away during its handshake",
            "client closed the connection without a close frame");
      } catch (java.io.EOFException | java.net.SocketException abortedBeforeTheHandshakeCompleted) {
        // closed without a frame: the attempt was cancelled
      }
      up.close();
    }
    before.assertBack();
    assertASessionWorks();
  }

  // --------------------------------------------------------------------------------------- the unexpected

  /**
   * A failure wsgate does not expect, at each step of a handshake: before the upstream is connected (counting the
   * handshake's heartbeat meters), once it is (counting the connection), and after the client's 101 (counting the
   * opened session). The client gets 500 (or, after its 101, 1011), the upstream 1001, and everything is released.
   * The failure is injected as an exception from the metrics registry, the first thing each step touches.
   */
  @ParameterizedTest
  @ValueSource(strings = {"wsgate.heartbeat.pings", "wsgate.upstream.connects", "wsgate.sessions.opened"})
  void anUnexpectedFailureAtAnyStepReleasesWhatWasTaken(String meter) throws Exception {
    gw.gateway().metrics().registry().config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (id.getName().equals(meter) && "/boom".equals(id.getTag("route"))) {
          throw new IllegalStateException("injected failure in " + meter);
        }
        return id;
      }
    });
    Released before = Released.from(gw);
    if (meter.equals("wsgate.sessions.opened")) {
      try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/boom")) {
        RawUpstream.Conn up = upstream.take();
        assertThat(client.readClose().closeCode()).isEqualTo(1011);
        assertThat(up.readClose().closeCode()).isEqualTo(1011);
        up.close();
      }
    } else {
      for (int i = 0; i < MAX + 1; i++) {
        Map<String, String> headers = RawWebSocket.handshakeHeaders(gw.address());
        String id = "boom-" + meter + "-" + i;
        headers.put("X-Request-Id", id);
        RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET /boom HTTP/1.1", headers);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("500 Internal Server Error: unexpected failure in wsgate\n");
        assertThat(RecordingAppender.await(l -> l.contains("request " + id + " "), Duration.ofSeconds(5)))
            .as("one WARN line with the request id and the cause, no stack trace")
            .startsWith("WARN ").contains("unexpected failure, answered 500", "injected failure in " + meter)
            .doesNotContain("[stack trace]");
        RawUpstream.Conn up = upstream.poll(meter.equals("wsgate.upstream.connects") ? Duration.ofSeconds(5)
            : Duration.ofMillis(100));
        if (meter.equals("wsgate.upstream.connects")) {
          assertThat(up).as("the upstream was connected before the failure").isNotNull();
          assertThat(up.readClose().closeCode()).isEqualTo(1001);
          up.close();
        } else {
          assertThat(up).as("no upstream connection").isNull();
        }
      }
    }
    before.assertBack();
    assertASessionWorks();
  }

  // --------------------------------------------------------------------------------------- helpers

  private String refusal(String target) throws IOException {
    return RawWebSocket.exchange(gw.address(), RawWebSocket.head("GET " + target + " HTTP/1.1",
        RawWebSocket.handshakeHeaders(gw.address()))).body();
  }

  /** A client gets a session, and a message through, and the session closes cleanly. */
  private void assertASessionWorks() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/echo")) {
      RawUpstream.Conn up = upstream.take();
      client.sendText("ping?");
      assertThat(up.readData().text()).isEqualTo("ping?");
      WsEndpoint.closeCleanly(client, up);
    }
    gw.awaitIdle(Duration.ofSeconds(5));
  }

  /** Masked text frames, as a client writes them. */
  private static byte[] frames(String... texts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String t : texts) {
      WsWire.writeFrame(out, true, 0, WsFrame.TEXT, t.getBytes(StandardCharsets.UTF_8), true);
    }
    return out.toByteArray();
  }
}
