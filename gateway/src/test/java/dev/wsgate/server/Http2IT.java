package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.H2Client;
import dev.wsgate.testing.ProxyHeaders;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code server.http2: on}: WebSocket over HTTP/2 (RFC 8441) by prior knowledge, with Netty's HTTP/2 client
 * ({@link H2Client}); HTTP/1.1 on the same listener as before.
 */
class Http2IT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private RawUpstream echo;
  private RawUpstream chooser;
  private RawUpstream refuser;
  private TestGateway gw;

  private void start(String serverExtra) throws Exception {
    echo = RawUpstream.echo();
    chooser = RawUpstream.start(RawUpstream.Answer.upgrade(offered -> "chat.v2"));
    refuser = RawUpstream.start(RawUpstream.Answer.reject(401));
    gw = TestGateway.start("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          http2: on
          allowed-origins: [https://app.example.com]
        %s
        routes:
          - path: /echo
            upstreams: ["%s"]
          - path: /chooser
            upstreams: ["%s"]
          - path: /refuser
            upstreams: ["%s"]
        """.formatted(serverExtra, echo.uri(), chooser.uri(), refuser.uri()));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (gw != null) {
        gw.close(); // waits until every session finished and every place is released
      }
    } finally {
      for (RawUpstream u : new RawUpstream[] {echo, chooser, refuser}) {
        if (u != null) {
          u.close();
        }
      }
    }
  }

  private static Map<String, String> headers(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void advertisesExtendedConnectAndServesHttp11AsBefore() throws Exception {
    start("");
    try (H2Client client = H2Client.connect(gw.address())) {
      assertThat(client.settings().connectProtocolEnabled()).isTrue();
    }
    try (RawWebSocket ws = RawWebSocket.connect(gw.address(), "/echo")) {
      ws.sendText("over HTTP/1.1");
      assertThat(ws.readData().text()).isEqualTo("over HTTP/1.1");
      ws.sendClose(1000, "");
      assertThat(ws.readClose().closeCode()).isEqualTo(1000);
    }
  }

  @Test
  void theUpstreamsSubprotocolIsInThe200() throws Exception {
    start("");
    try (H2Client client = H2Client.connect(gw.address())) {
      H2Client.Stream s = client.websocket("/chooser?room=1", headers("sec-websocket-protocol", "chat.v1, chat.v2",
          "origin", "https://app.example.com", "x-request-id", "h2-request-1"));
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.response().get("sec-websocket-protocol")).hasToString("chat.v2");
      assertThat(s.response().get("x-request-id")).hasToString("h2-request-1");
      RawUpstream.Conn up = chooser.take();
      assertThat(up.request().startLine()).isEqualTo("GET /chooser?room=1 HTTP/1.1");
      assertThat(up.request().header("x-forwarded-host")).isEqualTo(gw.address().getHostString() + ":" + gw.port());
      assertThat(up.request().header("x-request-id")).isEqualTo("h2-request-1");
      assertThat(up.request().header("origin")).isEqualTo("https://app.example.com");
      gw.awaitSessions(1, WAIT);
      up.sendText("from upstream");
      assertThat(s.read().text()).isEqualTo("from upstream");
      s.sendClose(1000, "done");
      assertThat(up.readClose().closeCode()).isEqualTo(1000);
      up.sendClose(1000, "done");
      assertThat(s.read().closeCode()).isEqualTo(1000);
      s.awaitClosed();
      assertThat(s.ended()).isTrue();
      up.close();
      assertThat(RecordingAppender.await(l -> l.contains("request_id=h2-request-1 "), WAIT))
          .contains(" client_protocol=h2 ").contains(" subprotocol=chat.v2 ")
          .contains(" close_code=1000 closed_by=client end=client-close");
    }
  }

  /** A client's RST_STREAM ends that stream's session only: its upstream gets 1001, the other stream goes on. */
  @Test
  void aResetStreamEndsOnlyItsSession() throws Exception {
    start("");
    try (H2Client client = H2Client.connect(gw.address())) {
      Chosen first = chooserStream(client);
      H2Client.Stream a = first.stream();
      RawUpstream.Conn upA = first.up();
      Chosen second = chooserStream(client);
      H2Client.Stream b = second.stream();
      RawUpstream.Conn upB = second.up();
      gw.awaitSessions(2, WAIT);
      a.reset();
      WsFrame close = upA.readClose();
      assertThat(close.closeCode()).isEqualTo(1001);
      assertThat(close.closeReason()).isEqualTo("client closed the connection without a close frame");
      upA.sendClose(1001, "");
      upA.close();
      gw.awaitSessions(1, WAIT);
      // b's place only: the connection holds none of its own while it has a stream.
      Awaits.until("b's place (held: " + gw.gateway().connectionsHeld() + ")", WAIT,
          () -> gw.gateway().connectionsHeld() == 1);
      b.sendText("still here");
      assertThat(upB.readData().text()).isEqualTo("still here");
      upB.sendText("and here");
      assertThat(b.read().text()).isEqualTo("and here");
      b.closeCleanly(upB);
    }
  }

  @Test
  void refusalsAreHttp11sAnswersAndEndOnlyTheirStream() throws Exception {
    start("");
    try (H2Client client = H2Client.connect(gw.address())) {
      H2Client.Stream noRoute = client.websocket("/nowhere", Map.of());
      assertThat(noRoute.status()).isEqualTo(404);
      assertThat(noRoute.body()).isEqualTo("404 Not Found: no route for /nowhere\n");

      H2Client.Stream noVersion = client.websocket("/echo", headers("sec-websocket-version", null));
      assertThat(noVersion.status()).isEqualTo(400);
      assertThat(noVersion.response().get("sec-websocket-version")).hasToString("13");
      assertThat(noVersion.body()).isEqualTo("400 Bad Request: missing Sec-WebSocket-Version (expected 13)\n");

      H2Client.Stream badOrigin = client.websocket("/echo", headers("origin", "https://evil.example"));
      assertThat(badOrigin.status()).isEqualTo(403);
      assertThat(badOrigin.body()).isEqualTo("403 Forbidden: origin https://evil.example is not allowed\n");

      H2Client.Stream get = client.request(new DefaultHttp2Headers().method("GET").path("/echo").scheme("http")
          .authority("127.0.0.1:" + gw.port()));
      assertThat(get.status()).isEqualTo(426);
      assertThat(get.response().get("upgrade")).isNull();

      H2Client.Stream refused = client.websocket("/refuser", Map.of());
      assertThat(refused.status()).isEqualTo(401);

      // The connection still takes sessions.
      H2Client.Stream ok = client.websocket("/echo", Map.of());
      assertThat(ok.status()).isEqualTo(200);
      ok.sendText("after the refusals");
      assertThat(ok.read().text()).isEqualTo("after the refusals");
      ok.sendClose(1000, "");
      assertThat(ok.read().closeCode()).isEqualTo(1000);
      ok.awaitClosed();
      for (H2Client.Stream s : new H2Client.Stream[] {noRoute, noVersion, badOrigin, get, refused}) {
        s.awaitClosed();
      }
    }
  }

  /**
   * Drain: GOAWAY at once, then each stream's session closed as any other, with 1001 to the client and to its
   * upstream; the connection closes once its streams are closed.
   */
  @Test
  void drainSendsGoAwayAndTheConnectionClosesWithItsLastSession() throws Exception {
    start("shutdown: {drain-timeout: 10s, drain-window: 0}");
    try (H2Client client = H2Client.connect(gw.address())) {
      Chosen first = chooserStream(client);
      H2Client.Stream a = first.stream();
      RawUpstream.Conn upA = first.up();
      Chosen second = chooserStream(client);
      H2Client.Stream b = second.stream();
      RawUpstream.Conn upB = second.up();
      gw.awaitSessions(2, WAIT);
      CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> {
        try {
          return gw.gateway().drain();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      // NO_ERROR, and the last stream wsgate took: both streams go on.
      assertThat(client.goAway()).containsExactly(0L, (long) b.channel().stream().id());
      for (RawUpstream.Conn up : new RawUpstream.Conn[] {upA, upB}) {
        assertThat(up.readClose().closeCode()).isEqualTo(1001);
        up.sendClose(1001, "");
      }
      for (H2Client.Stream s : new H2Client.Stream[] {a, b}) {
        WsFrame close = s.read();
        assertThat(close.closeCode()).isEqualTo(1001);
        s.sendClose(1001, "");
        s.awaitClosed();
      }
      upA.close();
      upB.close();
      assertThat(drained.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isZero();
      assertThat(client.connection().closeFuture().await(WAIT.toMillis())).isTrue();
    }
  }

  @Test
  void theClientsAddressIsThePROXYHeadersBeforeThePreface() throws Exception {
    start("  proxy-protocol: on");
    try (H2Client client = H2Client.connect(gw.address(),
        ProxyHeaders.v1("TCP4 127.0.0.5 127.0.0.1 40001 " + gw.port()))) {
      Chosen chosen = chooserStream(client);
      H2Client.Stream s = chosen.stream();
      RawUpstream.Conn up = chosen.up();
      assertThat(up.request().header("x-forwarded-for")).isEqualTo("127.0.0.5");
      gw.awaitSessions(1, WAIT);
      assertThat(gw.gateway().sessions().snapshot().get(0).clientAddress()).isEqualTo("127.0.0.5:40001");
      s.closeCleanly(up);
    }
  }

  /**
   * A client that gives no more window (its stream does not read) stops wsgate reading the upstream: the upstream's
   * sending stalls far short of what it has to send; once the client reads again, everything arrives, in order.
   */
  @Test
  void flowControlIsTheClientLegsBackpressure() throws Exception {
    start("");
    int frames = 3072;
    int size = 16 << 10; // 48 MiB in all: more than loopback's socket buffers hold
    try (H2Client client = H2Client.connect(gw.address())) {
      H2Client.Stream s = client.websocket("/chooser", headers("sec-websocket-protocol", "chat.v2"));
      assertThat(s.status()).isEqualTo(200);
      s.channel().eventLoop().submit(() -> s.channel().config().setAutoRead(false)).sync();
      RawUpstream.Conn up = chooser.take();
      gw.awaitSessions(1, WAIT);
      AtomicLong sent = new AtomicLong();
      Thread sender = new Thread(() -> {
        try {
          for (int i = 0; i < frames; i++) {
            byte[] payload = new byte[size];
            payload[0] = (byte) i;
            up.send(true, WsFrame.BINARY, payload);
            sent.addAndGet(size);
          }
        } catch (Exception e) {
          // the test ends the upstream when it fails
        }
      }, "upstream-sender");
      sender.setDaemon(true);
      sender.start();
      long[] last = {-1, System.nanoTime()}; // the count, and when it last changed
      Awaits.until("the upstream's sending to stall (sent " + sent.get() + ")", WAIT, () -> {
        long now = sent.get();
        if (now != last[0]) {
          last[0] = now;
          last[1] = System.nanoTime();
          return false;
        }
        return now > 0 && System.nanoTime() - last[1] > TimeUnit.MILLISECONDS.toNanos(500);
      });
      assertThat(sent.get()).as("bytes the upstream could send").isLessThan((long) frames * size / 2);
      s.channel().eventLoop().submit(() -> {
        s.channel().config().setAutoRead(true);
        s.channel().read();
      }).sync();
      for (int i = 0; i < frames; i++) {
        WsFrame f = s.read();
        assertThat(f.opcode()).isEqualTo(WsFrame.BINARY);
        assertThat(f.payload()).hasSize(size);
        assertThat(f.payload()[0]).isEqualTo((byte) i);
      }
      sender.join(WAIT.toMillis());
      assertThat(sender.isAlive()).isFalse();
      s.closeCleanly(up);
    }
  }

  /**
   * A connection with n streams holds n places of {@code max-connections}, not n + 1: its first stream takes over the
   * place the connection took at accept; SETTINGS_MAX_CONCURRENT_STREAMS is at most {@code max-connections}.
   */
  @Test
  void eachStreamTakesAPlaceOfMaxConnections() throws Exception {
    start("  max-connections: 2");
    try (H2Client client = H2Client.connect(gw.address())) {
      assertThat(client.settings().maxConcurrentStreams()).isEqualTo(2L);
      assertThat(gw.gateway().connectionsHeld()).as("the connection's place, before any stream").isEqualTo(1);
      H2Client.Stream first = client.websocket("/echo", Map.of());
      assertThat(first.status()).isEqualTo(200);
      H2Client.Stream second = client.websocket("/echo", Map.of());
      assertThat(second.status()).isEqualTo(200);
      gw.awaitSessions(2, WAIT);
      assertThat(gw.gateway().connectionsHeld()).isEqualTo(2);
      // Every place is held: an HTTP/1.1 client gets 503 (a third stream here would be past the stream limit).
      assertThat(RawWebSocket.request(gw.address(), "GET /echo HTTP/1.1",
          RawWebSocket.handshakeHeaders(gw.address())).status()).isEqualTo(503);
      first.sendClose(1000, "");
      assertThat(first.read().closeCode()).isEqualTo(1000);
      first.awaitClosed();
      Awaits.until("one place free (held: " + gw.gateway().connectionsHeld() + ")", WAIT,
          () -> gw.gateway().connectionsHeld() == 1);
      H2Client.Stream third = client.websocket("/echo", Map.of());
      assertThat(third.status()).isEqualTo(200);
      third.sendClose(1000, "");
      assertThat(third.read().closeCode()).isEqualTo(1000);
      third.awaitClosed();
      second.sendClose(1000, "");
      assertThat(second.read().closeCode()).isEqualTo(1000);
      second.awaitClosed();
      // Without streams the connection takes a place back, and keeps it while it is open.
      Awaits.until("the connection's place (held: " + gw.gateway().connectionsHeld() + ")", WAIT,
          () -> gw.gateway().connectionsHeld() == 1 && gw.gateway().sessions().size() == 0);
    }
  }

  /**
   * A connection whose last stream ended is closed after the handshake timeout without a new stream (GOAWAY
   * NO_ERROR, then the close), as an HTTP/1.1 connection that sends no request is; it holds a place meanwhile.
   */
  @Test
  void aConnectionWithoutStreamsIsClosedAfterTheHandshakeTimeout() throws Exception {
    start("  handshake-timeout: 1s");
    try (H2Client client = H2Client.connect(gw.address())) {
      H2Client.Stream s = client.websocket("/echo", Map.of());
      assertThat(s.status()).isEqualTo(200);
      s.sendText("one");
      assertThat(s.read().text()).isEqualTo("one");
      s.sendClose(1000, "");
      assertThat(s.read().closeCode()).isEqualTo(1000);
      s.awaitClosed();
      assertThat(client.goAway()).containsExactly(0L, (long) s.channel().stream().id());
      assertThat(client.connection().closeFuture().await(WAIT.toMillis())).isTrue();
      gw.awaitIdle(WAIT);
    }
  }

  /**
   * At the limit, a connection whose last stream ended stays open and usable: its next stream takes the place the
   * ended session gave back (the connection may have had none meanwhile, never more than one).
   */
  @Test
  void atTheLimitAConnectionWhoseLastStreamEndedStaysUsable() throws Exception {
    start("  max-connections: 1");
    try (H2Client client = H2Client.connect(gw.address())) {
      for (int i = 0; i < 3; i++) {
        H2Client.Stream s = client.websocket("/echo", Map.of());
        assertThat(s.status()).as("stream %d", i).isEqualTo(200);
        s.sendText("turn " + i);
        assertThat(s.read().text()).isEqualTo("turn " + i);
        s.sendClose(1000, "");
        assertThat(s.read().closeCode()).isEqualTo(1000);
        s.awaitClosed();
        gw.awaitSessions(0, WAIT);
        assertThat(gw.gateway().connectionsHeld()).isLessThanOrEqualTo(1);
      }
      assertThat(client.connection().isActive()).isTrue();
    }
  }

  /**
   * permessage-deflate on an HTTP/2 stream, negotiated for each leg on its own as over HTTP/1.1: the client's offer is
   * answered in the 200; the upstream (which takes no extension) gets plain frames, and the client compressed ones.
   */
  @Test
  void permessageDeflateOnAStream() throws Exception {
    start("");
    try (H2Client client = H2Client.connect(gw.address())) {
      H2Client.Stream s = client.websocket("/chooser", headers("sec-websocket-protocol", "chat.v2",
          "sec-websocket-extensions", "permessage-deflate; client_max_window_bits"));
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.response().get("sec-websocket-extensions")).asString().startsWith("permessage-deflate");
      RawUpstream.Conn up = chooser.take();
      gw.awaitSessions(1, WAIT);
      s.sendRaw(4, WsFrame.TEXT, deflate("compressed on the stream"));
      WsFrame plain = up.readData();
      assertThat(plain.rsv()).isZero();
      assertThat(plain.text()).isEqualTo("compressed on the stream");
      up.sendText("and compressed back, back, back, back");
      WsFrame back = s.read();
      assertThat(back.rsv()).as("RSV1: compressed").isEqualTo(4);
      assertThat(inflate(back.payload())).isEqualTo("and compressed back, back, back, back");
      s.closeCleanly(up);
    }
  }

  /**
   * The other direction: an upstream that does not read stops wsgate reading the client's stream, so that the
   * stream's window is not given back and the client stops sending; wsgate holds at most the mark plus a frame for
   * the upstream, as for HTTP/1.1; once the upstream reads, everything arrives, in order.
   */
  @Test
  void anUpstreamThatDoesNotReadStopsTheClientsStream() throws Exception {
    int frames = 1024;
    int size = 16 << 10; // 16 MiB in all: more than loopback's socket buffers hold with a small receive buffer
    try (RawUpstream slow = RawUpstream.start(RawUpstream.Answer.upgrade(), 16 * 1024);
         TestGateway g = TestGateway.start("""
             server:
               listen: 127.0.0.1:0
               admin: 127.0.0.1:0
               http2: on
               write-buffer-high-water-mark: 64KiB
             routes:
               - path: /slow
                 upstreams: ["%s"]
             """.formatted(slow.uri()));
         H2Client client = H2Client.connect(g.address())) {
      H2Client.Stream s = client.websocket("/slow", Map.of());
      assertThat(s.status()).isEqualTo(200);
      RawUpstream.Conn up = slow.take();
      g.awaitSessions(1, WAIT);
      dev.wsgate.session.Session session = g.gateway().sessions().snapshot().get(0);
      for (int i = 0; i < frames; i++) {
        byte[] payload = new byte[size];
        payload[0] = (byte) i;
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        dev.wsgate.testing.WsWire.writeFrame(frame, true, 0, WsFrame.BINARY, payload, true);
        s.channel().writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
            io.netty.buffer.Unpooled.wrappedBuffer(frame.toByteArray()))); // queued by the client's flow control
      }
      long[] max = {0};
      long[] last = {-1, System.nanoTime()};
      Awaits.until("wsgate's reading of the client to stall (relayed " + session.bytesFromClient() + ")", WAIT, () -> {
        long held = session.queuedBytes(dev.wsgate.config.Leg.UPSTREAM)
            + session.leg(dev.wsgate.config.Leg.UPSTREAM).waitingBytes();
        max[0] = Math.max(max[0], held);
        long relayed = session.bytesFromClient();
        if (relayed != last[0]) {
          last[0] = relayed;
          last[1] = System.nanoTime();
          return false;
        }
        return relayed > 0 && System.nanoTime() - last[1] > TimeUnit.MILLISECONDS.toNanos(500);
      });
      assertThat(session.bytesFromClient()).as("bytes wsgate took from the client").isLessThan((long) frames * size / 2);
      assertThat(max[0]).as("what wsgate held for the upstream").isLessThanOrEqualTo(64 * 1024 + size + 2 * 96 + 14);
      for (int i = 0; i < frames; i++) {
        WsFrame f = up.readData();
        assertThat(f.payload()).hasSize(size);
        assertThat(f.payload()[0]).isEqualTo((byte) i);
      }
      s.closeCleanly(up);
    }
  }

  /** One message, raw deflate, its 00 00 ff ff tail taken off (RFC 7692, 7.2.1). */
  private static byte[] deflate(String text) {
    java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.DEFAULT_COMPRESSION, true);
    d.setInput(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] buf = new byte[4096];
    int n = d.deflate(buf, 0, buf.length, java.util.zip.Deflater.SYNC_FLUSH);
    d.end();
    return java.util.Arrays.copyOf(buf, n - 4);
  }

  private static String inflate(byte[] payload) throws Exception {
    java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
    byte[] in = java.util.Arrays.copyOf(payload, payload.length + 4);
    in[in.length - 2] = (byte) 0xff;
    in[in.length - 1] = (byte) 0xff;
    inf.setInput(in);
    byte[] buf = new byte[4096];
    int n = inf.inflate(buf);
    inf.end();
    return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A WebSocket stream on {@code /chooser} (subprotocol chat.v2, answered 200) and its upstream connection. */
  private record Chosen(H2Client.Stream stream, RawUpstream.Conn up) {
  }

  private Chosen chooserStream(H2Client client) throws Exception {
    H2Client.Stream s = client.websocket("/chooser", headers("sec-websocket-protocol", "chat.v2"));
    assertThat(s.status()).isEqualTo(200);
    return new Chosen(s, chooser.take());
  }
}
