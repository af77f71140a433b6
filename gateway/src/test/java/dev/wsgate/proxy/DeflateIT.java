package dev.wsgate.proxy;

import static dev.wsgate.proxy.DeflateNegotiationTest.deflate;
import static dev.wsgate.proxy.DeflateNegotiationTest.deflateFragments;
import static dev.wsgate.proxy.DeflateNegotiationTest.inflate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.Released;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * permessage-deflate through wsgate with raw peers, frame by frame: what each leg negotiates, frames passed through
 * compressed untouched, wsgate inflating and deflating a leg the other does not compress alike, fragments, and what
 * bad compressed input gets (a deflate bomb: 1009, and wsgate's heap stays flat).
 */
class DeflateIT {

  private static final String OFFER = "permessage-deflate; client_max_window_bits";
  private static final int RSV1 = 4;

  private RawUpstream upstream;
  private TestGateway gw;
  private Released before;

  private void start(RawUpstream.Answer answer) throws Exception {
    upstream = RawUpstream.start(answer);
    gw = TestGateway.proxying(upstream.uri(), "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n");
    before = Released.from(gw);
  }

  @AfterEach
  void stop() throws Exception {
    if (gw == null) {
      return;
    }
    try {
      upstream.closeConnections();
      before.assertBack();
    } finally {
      try {
        gw.close();
      } finally {
        upstream.close();
      }
    }
  }

  private RawWebSocket connect(String extensions) throws Exception {
    Map<String, String> h = new java.util.HashMap<>();
    if (extensions != null) {
      h.put("Sec-WebSocket-Extensions", extensions);
    }
    return RawWebSocket.connect(gw.address(), "/", h);
  }

  @Test
  void whenTheUpstreamAcceptsTheClientsOfferFramesPassThroughCompressedUntouched() throws Exception {
    start(RawUpstream.Answer.upgradeWith(Map.of("Sec-WebSocket-Extensions",
        "permessage-deflate; client_max_window_bits=15")));
    try (RawWebSocket client = connect(OFFER)) {
      RawUpstream.Conn up = upstream.take();
      assertThat(up.request().header("sec-websocket-extensions")).isEqualTo(OFFER);
      assertThat(client.response().header("sec-websocket-extensions"))
          .isEqualTo("permessage-deflate; client_max_window_bits=15");
      byte[] compressed = deflate("{\"type\":\"quote\"}".repeat(100).getBytes(StandardCharsets.UTF_8));
      client.sendRaw(true, RSV1, WsFrame.TEXT, compressed, true);
      WsFrame atUpstream = up.readData();
      assertThat(atUpstream.rsv()).isEqualTo(RSV1);
      assertThat(atUpstream.payload()).isEqualTo(compressed);
      // Fragmented: RSV1 on the first frame only; the continuation passes as it is.
      byte[][] parts = deflateFragments("first ".repeat(50).getBytes(), "second".repeat(50).getBytes());
      up.sendRaw(false, RSV1, WsFrame.BINARY, parts[0], false);
      up.sendRaw(true, 0, WsFrame.CONTINUATION, parts[1], false);
      WsFrame first = client.readData();
      WsFrame second = client.readData();
      assertThat(first.rsv()).isEqualTo(RSV1);
      assertThat(first.payload()).isEqualTo(parts[0]);
      assertThat(second.rsv()).isZero();
      assertThat(second.payload()).isEqualTo(parts[1]);
      // An uncompressed message passes too.
      client.sendText("plain");
      assertThat(up.readData().text()).isEqualTo("plain");
      // RSV1 on a continuation frame breaks RFC 7692: 1002.
      client.sendRaw(false, RSV1, WsFrame.TEXT, deflateFragments("a".getBytes(), "b".getBytes())[0], true);
      up.readData();
      client.sendRaw(true, RSV1, WsFrame.CONTINUATION, new byte[] {0}, true);
      assertThat(client.readClose().closeCode()).isEqualTo(1002);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.sendClose(1001, "");
      up.close();
    }
  }

  @Test
  void whenTheUpstreamDeclinesWsgateInflatesTheClientsFramesAndCompressesTheUpstreams() throws Exception {
    start(RawUpstream.Answer.upgrade());
    try (RawWebSocket client = connect(OFFER)) {
      RawUpstream.Conn up = upstream.take();
      assertThat(up.request().header("sec-websocket-extensions")).as("the client's offer, forwarded")
          .isEqualTo(OFFER);
      assertThat(client.response().header("sec-websocket-extensions"))
          .isEqualTo("permessage-deflate; server_no_context_takeover");
      String text = "{\"type\":\"quote\",\"bid\":101.25,\"ask\":101.5}".repeat(40);
      client.sendRaw(true, RSV1, WsFrame.TEXT, deflate(text.getBytes(StandardCharsets.UTF_8)), true);
      WsFrame atUpstream = up.readData();
      assertThat(atUpstream.rsv()).isZero();
      assertThat(atUpstream.text()).isEqualTo(text);
      up.sendText(text);
      WsFrame atClient = client.readData();
      assertThat(atClient.rsv()).isEqualTo(RSV1);
      assertThat(atClient.payload().length).isLessThan(text.length() / 10);
      assertThat(new String(inflate(withTail(atClient.payload())), StandardCharsets.UTF_8)).isEqualTo(text);
      // A fragmented compressed message reaches the upstream in inflated fragments.
      byte[][] parts = deflateFragments("héllo ".repeat(30).getBytes(StandardCharsets.UTF_8),
          "wörld ".repeat(30).getBytes(StandardCharsets.UTF_8));
      client.sendRaw(false, RSV1, WsFrame.TEXT, parts[0], true);
      client.sendRaw(true, 0, WsFrame.CONTINUATION, parts[1], true);
      WsFrame f1 = up.readData();
      WsFrame f2 = up.readData();
      assertThat(f1.opcode()).isEqualTo(WsFrame.TEXT);
      assertThat(f1.fin()).isFalse();
      assertThat(f2.opcode()).isEqualTo(WsFrame.CONTINUATION);
      assertThat(new String(f1.payload(), StandardCharsets.UTF_8) + new String(f2.payload(), StandardCharsets.UTF_8))
          .isEqualTo("héllo ".repeat(30) + "wörld ".repeat(30));
      RawWebSocket.closeCleanly(client, up);
    }
  }

  @Test
  void aClientThatOffersNothingSendsPlainFramesWhileTheUpstreamLegIsCompressed() throws Exception {
    start(RawUpstream.Answer.upgradeWith(Map.of("Sec-WebSocket-Extensions",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover")));
    try (RawWebSocket client = connect(null)) {
      RawUpstream.Conn up = upstream.take();
      assertThat(up.request().header("sec-websocket-extensions"))
          .isEqualTo("permessage-deflate; server_no_context_takeover; client_no_context_takeover, "
              + "permessage-deflate; client_no_context_takeover");
      assertThat(client.response().header("sec-websocket-extensions")).isNull();
      String text = "abc".repeat(300);
      client.sendText(text);
      WsFrame atUpstream = up.readData();
      assertThat(atUpstream.rsv()).isEqualTo(RSV1);
      assertThat(new String(inflate(withTail(atUpstream.payload())), StandardCharsets.UTF_8)).isEqualTo(text);
      up.sendRaw(true, RSV1, WsFrame.TEXT, deflate(text.getBytes()), false);
      WsFrame atClient = client.readData();
      assertThat(atClient.rsv()).isZero();
      assertThat(atClient.text()).isEqualTo(text);
      RawWebSocket.closeCleanly(client, up);
    }
  }

  /**
   * Netty's own permessage-deflate (Reactor Netty's client and server, as they come) on either side: its client
   * refuses an answer with a {@code client_no_context_takeover} it did not offer, and its server declines an offer
   * with {@code server_no_context_takeover}; wsgate's answers and offers suit both.
   */
  @Test
  void nettysClientAndServerTakeWhatWsgateAnswersAndOffers() throws Exception {
    reactor.netty.resources.LoopResources loops = reactor.netty.resources.LoopResources.create("deflate-it", 1, true);
    reactor.netty.DisposableServer server = reactor.netty.http.server.HttpServer.create().runOn(loops)
        .host("127.0.0.1").port(0)
        .handle((req, res) -> res.sendWebsocket((in, out) -> out.sendString(in.receiveFrames()
            .map(f -> ((io.netty.handler.codec.http.websocketx.TextWebSocketFrame) f).text())),
            reactor.netty.http.server.WebsocketServerSpec.builder().compress(true).build()))
        .bindNow();
    String text = "netty ".repeat(500);
    try (TestGateway plain = TestGateway.proxying(java.net.URI.create("ws://127.0.0.1:" + server.port()))) {
      upstream = RawUpstream.echo();
      gw = TestGateway.proxying(upstream.uri(), "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n");
      before = Released.from(gw);
      for (TestGateway target : new TestGateway[] {gw, plain}) {
        java.util.concurrent.atomic.AtomicReference<String> ext = new java.util.concurrent.atomic.AtomicReference<>();
        String echo = reactor.netty.http.client.HttpClient.create().runOn(loops)
            .websocket(reactor.netty.http.client.WebsocketClientSpec.builder().compress(target == gw).build())
            .uri("ws://127.0.0.1:" + target.port() + "/")
            .handle((in, out) -> {
              ext.set(String.valueOf(in.headers().get("Sec-WebSocket-Extensions")));
              return out.sendString(reactor.core.publisher.Mono.just(text)).then()
                  .thenMany(in.receive().asString().take(1));
            })
            .blockFirst(Duration.ofSeconds(10));
        assertThat(ext.get()).as("the client leg").isEqualTo(target == gw ? "permessage-deflate; "
            + "server_no_context_takeover" : "null");
        assertThat(echo).isEqualTo(text);
      }
    } finally {
      server.disposeNow();
      loops.disposeLater().block(Duration.ofSeconds(5));
    }
  }

  @Test
  void invalidUtf8InsideACompressedMessageGets1007() throws Exception {
    start(RawUpstream.Answer.upgrade());
    try (RawWebSocket client = connect(OFFER)) {
      RawUpstream.Conn up = upstream.take();
      client.sendRaw(true, RSV1, WsFrame.TEXT, deflate(new byte[] {'o', 'k', (byte) 0xc3, (byte) 0x28}), true);
      assertThat(client.readClose().closeCode()).isEqualTo(1007);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
    }
  }

  @Test
  void dataThatDoesNotInflateGets1007() throws Exception {
    start(RawUpstream.Answer.upgrade());
    try (RawWebSocket client = connect(OFFER)) {
      RawUpstream.Conn up = upstream.take();
      client.sendRaw(true, RSV1, WsFrame.BINARY, new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3}, true);
      WsFrame close = client.readClose();
      assertThat(close.closeCode()).isEqualTo(1007);
      assertThat(close.closeReason()).isEqualTo("compressed data that does not inflate");
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
      Awaits.until("counted", Duration.ofSeconds(5),
          () -> gw.gateway().metrics().protocolErrors(Leg.CLIENT, 1007) == 1.0);
    }
  }

  /**
   * A deflate bomb: a frame of 100 KiB that inflates to 100 MiB gets 1009 once 1 MiB (max-message-size) is
   * inflated, the upstream 1001; forty of them in a row leave wsgate's heap where it was after the first five (which
   * warm the buffer pool up: its arenas keep the chunks they took).
   */
  @Test
  void aDeflateBombGets1009AndWsgatesHeapStaysFlat() throws Exception {
    start(RawUpstream.Answer.upgrade());
    byte[] bomb = zeros(100);
    assertThat(bomb.length).isBetween(90 << 10, 110 << 10);
    long heapBefore = 0;
    for (int i = 0; i < 45; i++) {
      if (i == 5) {
        heapBefore = liveHeap();
      }
      try (RawWebSocket client = connect(OFFER)) {
        RawUpstream.Conn up = upstream.take();
        client.sendRaw(true, RSV1, WsFrame.BINARY, bomb, true);
        WsFrame close = client.readClose();
        assertThat(close.closeCode()).isEqualTo(1009);
        assertThat(close.closeReason()).isEqualTo("message over 1048576 bytes once inflated");
        assertThat(up.readClose().closeCode()).isEqualTo(1001);
        up.close();
        assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      }
    }
    Awaits.until("40 counted", Duration.ofSeconds(5),
        () -> gw.gateway().metrics().protocolErrors(Leg.CLIENT, 1009) == 45.0);
    gw.awaitIdle(Duration.ofSeconds(10));
    long grown = liveHeap() - heapBefore;
    assertThat(grown).as("live heap grown over 40 bombs of 100 MiB each").isLessThan(4L << 20);
  }

  /** {@code mib} MiB of zeros, deflated as one message (without its tail). */
  private static byte[] zeros(int mib) {
    java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION, true);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] chunk = new byte[1 << 20];
    byte[] buf = new byte[64 << 10];
    for (int i = 0; i < mib; i++) {
      d.setInput(chunk);
      while (!d.needsInput()) {
        out.write(buf, 0, d.deflate(buf, 0, buf.length, java.util.zip.Deflater.NO_FLUSH));
      }
    }
    int n;
    while ((n = d.deflate(buf, 0, buf.length, java.util.zip.Deflater.SYNC_FLUSH)) > 0) {
      out.write(buf, 0, n);
      if (n < buf.length) {
        break;
      }
    }
    d.end();
    byte[] all = out.toByteArray();
    return Arrays.copyOf(all, all.length - 4);
  }

  private static long liveHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static byte[] withTail(byte[] compressed) {
    byte[] b = Arrays.copyOf(compressed, compressed.length + 4);
    b[b.length - 2] = (byte) 0xff;
    b[b.length - 1] = (byte) 0xff;
    return b;
  }
}
