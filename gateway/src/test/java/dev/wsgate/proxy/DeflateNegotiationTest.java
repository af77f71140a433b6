package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.Leg;
import dev.wsgate.config.RouteConfig;
import dev.wsgate.testing.LeakDetectionExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What each leg negotiates (RFC 7692), and wsgate's own inflater and deflater on a leg, in plain channels. */
@ExtendWith(LeakDetectionExtension.class)
class DeflateNegotiationTest {

  private static final String CHROME = "permessage-deflate; client_max_window_bits";
  private static final String OWN = "permessage-deflate; server_no_context_takeover; client_no_context_takeover, "
      + "permessage-deflate; client_no_context_takeover";

  private static RouteConfig route(String more) throws Exception {
    return ConfigLoader.withEnvironment(Map.of()).parse("routes:\n  - path: /\n    upstreams: [\"ws://u:1\"]\n"
        + more, "test.yaml", Path.of(".")).routes().get(0);
  }

  private static HttpHeaders offering(String extensions) {
    HttpHeaders h = new DefaultHttpHeaders();
    if (extensions != null) {
      h.set("Sec-WebSocket-Extensions", extensions);
    }
    return h;
  }

  // ------------------------------------------------------------------------------------------------ parameters

  @Test
  void offersAreParsedAndInvalidOnesLeftOut() {
    assertThat(DeflateParams.parseAll("permessage-deflate; client_max_window_bits, x-webkit-deflate-frame, "
        + "permessage-deflate; server_max_window_bits=\"10\"; server_no_context_takeover, "
        + "permessage-deflate; foo, permessage-deflate; server_max_window_bits=16, "
        + "permessage-deflate; client_no_context_takeover; client_no_context_takeover", true))
        .containsExactly(new DeflateParams(false, false, DeflateParams.ABSENT, DeflateParams.NO_VALUE),
            new DeflateParams(true, false, 10, DeflateParams.ABSENT));
    assertThat(DeflateParams.parse("permessage-deflate; client_max_window_bits", false))
        .as("an answer's client_max_window_bits needs a value").isNull();
  }

  @Test
  void anAnswerAcceptsAnOfferAsRfc7692Says() {
    DeflateParams chrome = DeflateParams.parse(CHROME, true);
    DeflateParams plain = DeflateParams.PLAIN;
    assertThat(DeflateParams.parse("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        false).accepts(chrome)).isTrue();
    assertThat(DeflateParams.parse("permessage-deflate; client_max_window_bits=12", false).accepts(plain))
        .as("client_max_window_bits not offered").isFalse();
    assertThat(DeflateParams.parse("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        false).accepts(plain)).as("a server may always add both").isTrue();
    DeflateParams asksFresh = DeflateParams.parse("permessage-deflate; server_no_context_takeover", true);
    assertThat(plain.accepts(asksFresh)).as("server_no_context_takeover must be echoed").isFalse();
    DeflateParams asks10 = DeflateParams.parse("permessage-deflate; server_max_window_bits=10", true);
    assertThat(DeflateParams.parse("permessage-deflate; server_max_window_bits=11", false).accepts(asks10))
        .isFalse();
    assertThat(DeflateParams.parse("permessage-deflate; server_max_window_bits=9", false).accepts(asks10))
        .isTrue();
  }

  // ------------------------------------------------------------------------------------------------ negotiation

  @Test
  void theClientsOfferGoesUpstreamAndAnAcceptingAnswerBackToTheClient() throws Exception {
    DeflateNegotiation n = DeflateNegotiation.of(offering(CHROME), route(""));
    assertThat(n.upstreamOffer()).isEqualTo(CHROME);
    DeflateNegotiation.Decision d = n.answered("permessage-deflate; server_max_window_bits=12; "
        + "client_max_window_bits=12");
    assertThat(d.refusal()).isNull();
    assertThat(d.passThrough()).isTrue();
    assertThat(d.clientAnswer()).isEqualTo("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
    assertThat(d.client().passThrough()).isTrue();
  }

  /**
   * wsgate compresses each message afresh and says so; it answers client_no_context_takeover only to a client that
   * offered it (RFC 7692 lets a server add it, Netty's clients refuse an answer that does), and keeps its inflater's
   * context otherwise.
   */
  @Test
  void anUpstreamThatDeclinesLeavesWsgateToCompressTheClientLegWithoutContextTakeover() throws Exception {
    DeflateNegotiation.Decision d = DeflateNegotiation.of(offering(CHROME), route("")).answered(null);
    assertThat(d.upstream()).isNull();
    assertThat(d.passThrough()).isFalse();
    assertThat(d.clientAnswer()).isEqualTo("permessage-deflate; server_no_context_takeover");
    assertThat(d.client()).isEqualTo(new LegDeflate(false, false, true, 1 << 20));
    DeflateNegotiation.Decision fresh = DeflateNegotiation.of(offering("permessage-deflate; "
        + "client_no_context_takeover"), route("")).answered(null);
    assertThat(fresh.clientAnswer()).isEqualTo("permessage-deflate; server_no_context_takeover; "
        + "client_no_context_takeover");
    assertThat(fresh.client()).isEqualTo(new LegDeflate(false, true, true, 1 << 20));
  }

  @Test
  void aClientThatOffersNothingGetsNothingAndWsgateOffersTheUpstreamItsOwn() throws Exception {
    DeflateNegotiation n = DeflateNegotiation.of(offering(null), route(""));
    assertThat(n.upstreamOffer()).as("afresh, else with the upstream's context").isEqualTo(OWN);
    DeflateNegotiation.Decision d = n.answered("permessage-deflate; server_no_context_takeover; "
        + "client_no_context_takeover; server_max_window_bits=12");
    assertThat(d.refusal()).isNull();
    assertThat(d.clientAnswer()).isNull();
    assertThat(d.client()).isNull();
    assertThat(d.upstream()).isEqualTo(new LegDeflate(false, true, true, 1 << 20));
    assertThat(n.answered("permessage-deflate").upstream()).as("the second offer, as Netty's servers take it")
        .isEqualTo(new LegDeflate(false, false, true, 1 << 20));
    assertThat(n.answered("permessage-deflate; server_no_context_takeover; client_max_window_bits=10").refusal())
        .as("wsgate cannot compress with a smaller window, and did not offer to").isNotNull();
  }

  @Test
  void withContextTakeoverAndASmallerWindowTheRouteIsWhatWsgateAsksFor() throws Exception {
    RouteConfig r = route("    compression:\n      context-takeover: true\n      max-window-bits: 10\n");
    DeflateNegotiation n = DeflateNegotiation.of(offering(null), r);
    assertThat(n.upstreamOffer()).isEqualTo("permessage-deflate; server_max_window_bits=10");
    assertThat(n.answered("permessage-deflate; server_max_window_bits=10").upstream())
        .isEqualTo(new LegDeflate(false, false, false, 1 << 20));
    assertThat(DeflateNegotiation.clientAnswer(DeflateParams.parse(CHROME, true), r.compression().client()))
        .isEqualTo(new DeflateParams(false, false, DeflateParams.ABSENT, 10));
  }

  @Test
  void anOfferForASmallerServerWindowIsDeclinedWhereWsgateCompresses() throws Exception {
    DeflateNegotiation.Decision d = DeflateNegotiation.of(offering(
        "permessage-deflate; server_max_window_bits=10, permessage-deflate"), route("    compression:\n"
        + "      upstream:\n        enabled: false\n")).answered(null);
    assertThat(d.clientAnswer()).as("the second offer").isEqualTo("permessage-deflate; server_no_context_takeover");
  }

  @Test
  void textHeartbeatsMustReadTheTextSoNothingPassesThroughCompressed() throws Exception {
    DeflateNegotiation n = DeflateNegotiation.of(offering(CHROME), route("    heartbeat:\n      client:\n"
        + "        mode: text\n"));
    assertThat(n.upstreamOffer()).as("wsgate's own offer, not the client's").isEqualTo(OWN);
    DeflateNegotiation.Decision d = n.answered("permessage-deflate; server_no_context_takeover");
    assertThat(d.passThrough()).isFalse();
    assertThat(d.client().passThrough()).isFalse();
    assertThat(d.upstream().passThrough()).isFalse();
  }

  @Test
  void aRouteTurnsALegOff() throws Exception {
    DeflateNegotiation off = DeflateNegotiation.of(offering(CHROME), route("    compression:\n"
        + "      enabled: false\n"));
    assertThat(off.upstreamOffer()).isNull();
    assertThat(off.answered(null)).isEqualTo(DeflateNegotiation.Decision.NONE);
    assertThat(off.answered("permessage-deflate").refusal()).contains("which wsgate did not offer");
    DeflateNegotiation clientOff = DeflateNegotiation.of(offering(CHROME), route("    compression:\n"
        + "      client:\n        enabled: false\n"));
    assertThat(clientOff.settings(Leg.CLIENT).enabled()).isFalse();
    assertThat(clientOff.upstreamOffer()).as("wsgate's own").startsWith("permessage-deflate; server_no_context");
    assertThat(clientOff.answered(null).clientAnswer()).isNull();
  }

  @Test
  void anUpstreamAnswerThatAcceptsNoOfferIsRefused() throws Exception {
    DeflateNegotiation n = DeflateNegotiation.of(offering("permessage-deflate"), route(""));
    assertThat(n.answered("permessage-deflate; client_max_window_bits=10").refusal())
        .isEqualTo("answered permessage-deflate; client_max_window_bits=10 to permessage-deflate");
    assertThat(n.answered("permessage-deflate, permessage-deflate").refusal()).startsWith("answered with the "
        + "extensions");
    assertThat(n.answered("x-foo").refusal()).startsWith("answered with the extensions x-foo");
  }

  // ------------------------------------------------------------------------------------------------ codec

  @Test
  void wsgatesCodecInflatesAndDeflatesAndFreesZlibAfterEachMessage() {
    LegDeflate leg = new LegDeflate(false, true, true, 1 << 20);
    EmbeddedChannel ch = codecChannel(leg, Leg.CLIENT);
    String text = "{\"type\":\"quote\",\"bid\":101.25}".repeat(50);
    ch.writeInbound(new TextWebSocketFrame(true, WebSocketExtension.RSV1,
        Unpooled.wrappedBuffer(deflate(text.getBytes(StandardCharsets.UTF_8)))));
    TextWebSocketFrame in = ch.readInbound();
    assertThat(in.rsv()).isZero();
    assertThat(in.text()).isEqualTo(text);
    in.release();
    ch.writeOutbound(new TextWebSocketFrame(text));
    WebSocketFrame out = ch.readOutbound();
    assertThat(out.rsv()).isEqualTo(WebSocketExtension.RSV1);
    assertThat(out.content().readableBytes()).isLessThan(text.length() / 10);
    assertThat(new String(inflate(out.content()), StandardCharsets.UTF_8)).isEqualTo(text);
    out.release();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aDeflateBombFailsWith1009WithoutInflatingPastTheLimit() {
    LegDeflate leg = new LegDeflate(false, true, true, 64 << 10);
    EmbeddedChannel ch = codecChannel(leg, Leg.CLIENT);
    List<Object> failures = failures(ch);
    byte[] bomb = deflate(new byte[16 << 20]); // 16 MiB of zeros in some 16 KiB
    ch.writeInbound(new TextWebSocketFrame(true, WebSocketExtension.RSV1, Unpooled.wrappedBuffer(bomb)));
    assertThat(failures).singleElement().isInstanceOfSatisfying(MessageInflater.Failure.class,
        f -> assertThat(f.code).isEqualTo(1009));
    ch.writeInbound(new TextWebSocketFrame("after"));
    assertThat(failures).as("what follows is dropped").hasSize(1);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aFragmentedMessageIsLimitedAsAWhole() {
    LegDeflate leg = new LegDeflate(false, true, true, 1000);
    EmbeddedChannel ch = codecChannel(leg, Leg.UPSTREAM);
    List<Object> failures = failures(ch);
    byte[][] parts = deflateFragments(new byte[600], new byte[600]);
    ch.writeInbound(new TextWebSocketFrame(false, WebSocketExtension.RSV1, Unpooled.wrappedBuffer(parts[0])));
    assertThat(failures).containsExactly("frame");
    ch.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(parts[1])));
    assertThat(failures).hasSize(2).last().isInstanceOfSatisfying(MessageInflater.Failure.class,
        f -> assertThat(f.code).isEqualTo(1009));
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void dataThatDoesNotInflateFailsWith1007() {
    EmbeddedChannel ch = codecChannel(new LegDeflate(false, true, true, 1 << 20), Leg.CLIENT);
    List<Object> failures = failures(ch);
    ch.writeInbound(new TextWebSocketFrame(true, WebSocketExtension.RSV1,
        Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3})));
    assertThat(failures).singleElement().isInstanceOfSatisfying(MessageInflater.Failure.class,
        f -> assertThat(f.code).isEqualTo(1007));
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /** What reaches the end of the pipeline, in order: failures, and "frame" for each frame (released). */
  private static List<Object> failures(EmbeddedChannel ch) {
    List<Object> failures = new ArrayList<>();
    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        failures.add("frame");
        io.netty.util.ReferenceCountUtil.release(msg);
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failures.add(cause);
      }
    });
    return failures;
  }

  /** A channel with wsgate's deflate handlers of a leg, as the pipeline has them. */
  private static EmbeddedChannel codecChannel(LegDeflate leg, Leg which) {
    LegDeflate.Codec codec = leg.codec(which);
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.pipeline().addLast(ProxyPipeline.DEFLATE, codec.deflater());
    ch.pipeline().addLast(ProxyPipeline.INFLATE, codec.inflater());
    return ch;
  }

  /** One message, raw deflate, its 00 00 ff ff tail taken off (RFC 7692, 7.2.1). */
  static byte[] deflate(byte[] data) {
    return deflateFragments(data)[0];
  }

  /** Fragments of one message, each flushed, the last one's tail taken off. */
  static byte[][] deflateFragments(byte[]... fragments) {
    Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    byte[][] out = new byte[fragments.length][];
    byte[] buf = new byte[64 << 10];
    for (int i = 0; i < fragments.length; i++) {
      d.setInput(fragments[i]);
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int n;
      while ((n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
        b.write(buf, 0, n);
        if (n < buf.length) {
          break;
        }
      }
      byte[] bytes = b.toByteArray();
      out[i] = i == fragments.length - 1 ? Arrays.copyOf(bytes, bytes.length - 4) : bytes;
    }
    d.end();
    return out;
  }

  static byte[] inflate(ByteBuf compressed) {
    byte[] in = new byte[compressed.readableBytes() + 4];
    compressed.getBytes(compressed.readerIndex(), in, 0, compressed.readableBytes());
    in[in.length - 2] = (byte) 0xff;
    in[in.length - 1] = (byte) 0xff;
    return inflate(in);
  }

  static byte[] inflate(byte[] withTail) {
    Inflater inf = new Inflater(true);
    inf.setInput(withTail);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[64 << 10];
    try {
      int n;
      while ((n = inf.inflate(buf)) > 0) {
        b.write(buf, 0, n);
      }
    } catch (java.util.zip.DataFormatException e) {
      throw new IllegalStateException(e);
    } finally {
      inf.end();
    }
    return b.toByteArray();
  }
}
