package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link WireFrameDecoder} against Netty's {@code WebSocket13FrameDecoder}, the reference, on the same random streams
 * of frames (valid, and with every fault Netty's decoder names), cut into random reads: the same frames, in order,
 * the same fault, the same close frame answered. Relaying verbatim, every data frame must come out as the very bytes
 * that went in, whole, and the stream as a whole must still read as Netty reads it.
 */
class WireFrameDecoderTest {

  private static final int MAX_FRAME = 70_000;

  /** One frame as it came out: its kind, its flags, its payload unmasked; or the fault that ended the stream. */
  private record Out(String kind, boolean fin, int rsv, String payload) {
    static Out of(WebSocketFrame f) {
      String kind = f.getClass().getSimpleName();
      return new Out(kind, f.isFinalFragment(), f.rsv(), digest(ByteBufUtil.getBytes(f.content())));
    }

    /** A payload as text to compare: short ones in hex, long ones by length and a hash of their bytes. */
    static String digest(byte[] payload) {
      return payload.length <= 64 ? ByteBufUtil.hexDump(payload)
          : payload.length + " bytes, hash " + java.util.Arrays.hashCode(payload);
    }

    static Out fault(Throwable t) {
      CorruptedWebSocketFrameException e = (CorruptedWebSocketFrameException) t;
      return new Out("fault " + e.closeStatus().code() + " " + e.getMessage(), false, 0, "");
    }
  }

  @Test
  void readsEveryStreamAsNettysDecoderDoes() {
    Random random = new Random(6455);
    int faults = 0;
    for (int n = 0; n < 1_000; n++) {
      boolean server = random.nextBoolean(); // the decoder of a client leg (masked frames) or an upstream leg
      WebSocketDecoderConfig config = config(server, random.nextInt(4) != 0);
      Stream stream = Stream.random(random, server, random.nextInt(5) == 0);
      List<Integer> cuts = cuts(random, stream.bytes.length);
      List<Out> netty = decode(new WebSocket13FrameDecoder(config), stream.bytes, cuts, null);
      List<Out> ours = decode(new WireFrameDecoder(config), stream.bytes, cuts, null);
      assertThat(ours).as("stream %d: %s", n, stream).isEqualTo(netty);
      faults += netty.stream().anyMatch(o -> o.kind.startsWith("fault")) ? 1 : 0;

      WireFrameDecoder verbatim = new WireFrameDecoder(config);
      boolean compressed = random.nextBoolean();
      verbatim.relayVerbatim(compressed);
      List<byte[]> relayed = new ArrayList<>();
      List<Out> read = decode(verbatim, stream.bytes, cuts, relayed);
      assertThat(read).as("stream %d verbatim: %s", n, stream).isEqualTo(netty);
      assertWhole(stream, relayed);
    }
    assertThat(faults).as("streams with a fault").isBetween(100, 900);
  }

  @Test
  void aReadOfWholeDataFramesGoesOnAsItIs() {
    WireFrameDecoder decoder = new WireFrameDecoder(config(true, true));
    decoder.relayVerbatim(false);
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    byte[] two = WireBytes.concat(WireBytes.frame(0x82, new byte[] {1, 2, 3}, 0x11223344),
        WireBytes.frame(0x81, "hi".getBytes(StandardCharsets.UTF_8), 0x55667788));
    ByteBuf read = Unpooled.wrappedBuffer(two);
    channel.writeInbound(read);
    ByteBuf out = channel.readInbound();
    assertThat(out).as("the read's own buffer, not a copy").isSameAs(read);
    assertThat(ByteBufUtil.getBytes(out)).isEqualTo(two);
    out.release();
    assertThat(channel.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aControlFrameEndsTheRunAndIsDecoded() {
    WireFrameDecoder decoder = new WireFrameDecoder(config(false, true));
    decoder.relayVerbatim(false);
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    byte[] data = WireBytes.frame(0x82, new byte[] {9}, 0);
    byte[] ping = WireBytes.frame(0x89, new byte[] {7}, 0);
    channel.writeInbound(Unpooled.wrappedBuffer(WireBytes.concat(data, data, ping, data)));
    ByteBuf run = channel.readInbound();
    assertThat(ByteBufUtil.getBytes(run)).isEqualTo(WireBytes.concat(data, data));
    run.release();
    PingWebSocketFrame decoded = channel.readInbound();
    assertThat(ByteBufUtil.getBytes(decoded.content())).containsExactly(7);
    decoded.release();
    ByteBuf last = channel.readInbound();
    assertThat(ByteBufUtil.getBytes(last)).isEqualTo(data);
    last.release();
    assertThat(channel.finishAndReleaseAll()).isFalse();
  }

  @Test
  void unmasksAsTheRfcSays() {
    byte[] payload = "A masked payload of an odd length: 37".getBytes(StandardCharsets.US_ASCII);
    int key = 0x37FA213D; // RFC 6455 5.7's
    ByteBuf masked = Unpooled.wrappedBuffer(WireBytes.mask(payload, key));
    WireFrames.unmask(masked, key);
    assertThat(ByteBufUtil.getBytes(masked)).isEqualTo(payload);
    assertThat(WireBytes.mask("Hello".getBytes(StandardCharsets.US_ASCII), key))
        .as("RFC 6455 5.7: a masked \"Hello\"").isEqualTo(new byte[] {0x7f, (byte) 0x9f, 0x4d, 0x51, 0x58});
  }

  /** The relayed runs, cut into frames, are the stream's data frames, byte for byte. */
  private static void assertWhole(Stream stream, List<byte[]> relayed) {
    List<byte[]> frames = new ArrayList<>();
    for (byte[] run : relayed) {
      ByteBuf buf = Unpooled.wrappedBuffer(run);
      for (int at = 0; at < run.length; ) {
        int length = WireFrames.headerLength(buf, at) + WireFrames.payloadLength(buf, at);
        byte[] frame = new byte[length];
        System.arraycopy(run, at, frame, 0, length);
        frames.add(frame);
        at += length;
      }
    }
    for (byte[] frame : frames) {
      assertThat(stream.frames.stream().anyMatch(f -> java.util.Arrays.equals(f, frame)))
          .as("a relayed frame is one of the stream's, whole: %s", ByteBufUtil.hexDump(frame)).isTrue();
    }
  }

  private static WebSocketDecoderConfig config(boolean expectMasked, boolean allowExtensions) {
    return WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(MAX_FRAME).expectMaskedFrames(expectMasked)
        .allowExtensions(allowExtensions).allowMaskMismatch(false).build();
  }

  private static List<Integer> cuts(Random random, int length) {
    List<Integer> cuts = new ArrayList<>();
    for (int at = 0; at < length; ) {
      int step = switch (random.nextInt(4)) {
        case 0 -> 1 + random.nextInt(3);
        case 1 -> 1 + random.nextInt(200);
        case 2 -> 1 + random.nextInt(70_000);
        default -> length - at;
      };
      at = Math.min(length, at + step);
      cuts.add(at);
    }
    return cuts;
  }

  /**
   * Feeds the stream, read by read, to a decoder in a channel; what it decodes, in order, and the fault that ends it,
   * with the close frame the decoder answered; runs relayed verbatim are read as frames and kept in {@code relayed}.
   */
  private static List<Out> decode(ChannelHandler decoder, byte[] bytes, List<Integer> cuts, List<byte[]> relayed) {
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    List<Out> out = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      try {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, from, cut - from));
      } catch (CorruptedWebSocketFrameException e) {
        drain(channel, out, relayed);
        out.add(Out.fault(e));
        Object answer = channel.readOutbound();
        if (answer instanceof CloseWebSocketFrame close) {
          out.add(new Out("answer " + close.statusCode() + " " + close.reasonText(), true, 0, ""));
        } else if (answer != null) {
          out.add(new Out("answer " + answer, true, 0, ""));
        }
        io.netty.util.ReferenceCountUtil.release(answer);
        break;
      }
      from = cut;
      drain(channel, out, relayed);
    }
    channel.finishAndReleaseAll();
    return out;
  }

  private static void drain(EmbeddedChannel channel, List<Out> out, List<byte[]> relayed) {
    for (Object msg; (msg = channel.readInbound()) != null; ) {
      if (msg instanceof ByteBuf run) {
        byte[] wire = ByteBufUtil.getBytes(run);
        relayed.add(wire);
        for (int at = 0; at < wire.length; ) {
          ByteBuf buf = Unpooled.wrappedBuffer(wire);
          int header = WireFrames.headerLength(buf, at);
          int payload = WireFrames.payloadLength(buf, at);
          ByteBuf content = Unpooled.copiedBuffer(wire, at + header, payload);
          if ((wire[at + 1] & 0x80) != 0) {
            WireFrames.unmask(content, buf.getInt(at + header - 4));
          }
          int opcode = WireFrames.opcode(buf, at);
          String kind = opcode == 1 ? "TextWebSocketFrame" : opcode == 2 ? "BinaryWebSocketFrame"
              : "ContinuationWebSocketFrame";
          out.add(new Out(kind, WireFrames.fin(buf, at), WireFrames.rsv(buf, at),
              Out.digest(ByteBufUtil.getBytes(content))));
          at += header + payload;
        }
        run.release();
      } else {
        WebSocketFrame f = (WebSocketFrame) msg;
        out.add(Out.of(f));
        f.release();
      }
    }
  }

  /** A random stream of frames, each encoded, and all of them one after the other. */
  private static final class Stream {
    final List<byte[]> frames = new ArrayList<>();
    final List<String> names = new ArrayList<>();
    byte[] bytes;

    static Stream random(Random random, boolean masked, boolean faulty) {
      Stream s = new Stream();
      int count = 1 + random.nextInt(12);
      boolean inMessage = false;
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int i = 0; i < count; i++) {
        int kind = random.nextInt(10);
        int opcode;
        boolean fin = random.nextInt(3) != 0;
        byte[] payload;
        if (kind < 6) { // data, within the message rules (broken now and then below)
          opcode = inMessage ? 0 : (random.nextBoolean() ? 1 : 2);
          payload = randomPayload(random, opcode == 1 || opcode == 0);
          inMessage = !fin;
        } else if (kind < 9) {
          opcode = new int[] {0x9, 0xA, 0x9}[random.nextInt(3)];
          fin = true;
          payload = randomBytes(random, random.nextInt(20));
        } else {
          opcode = 0x8;
          fin = true;
          payload = random.nextBoolean() ? new byte[0] : closeBody(random, faulty);
        }
        int rsv = 0;
        boolean frameMasked = masked;
        if (faulty && random.nextInt(6) == 0) {
          switch (random.nextInt(8)) {
            case 0 -> rsv = 1 + random.nextInt(7);
            case 1 -> frameMasked = !masked;
            case 2 -> opcode = 3 + random.nextInt(5); // a reserved data opcode
            case 3 -> opcode = 0xB + random.nextInt(5); // a reserved control opcode
            case 4 -> opcode = inMessage ? 1 : 0; // against the message under way
            case 5 -> {
              opcode = 0x9;
              fin = false; // a fragmented control frame
            }
            case 6 -> payload = randomBytes(random, MAX_FRAME + 1 + random.nextInt(10)); // past max-frame-size
            default -> {
              opcode = 0x9;
              payload = randomBytes(random, 126 + random.nextInt(10)); // a control frame too long
            }
          }
        }
        if (!faulty && random.nextInt(8) == 0 && opcode <= 2) {
          rsv = 4; // RSV1: relayed only where compressed messages pass
        }
        int key = frameMasked ? random.nextInt() : 0;
        int b0 = (fin ? 0x80 : 0) | rsv << 4 | opcode;
        byte[] frame = faulty && random.nextInt(20) == 0 ? encodeLong(b0, payload, frameMasked, key)
            : WireBytes.frame(b0, payload, key, frameMasked);
        s.frames.add(frame);
        s.names.add(Integer.toHexString(b0) + "/" + payload.length);
        all.writeBytes(frame);
        if (opcode == 0x8) {
          break;
        }
      }
      if (random.nextInt(10) == 0) {
        all.writeBytes(randomBytes(random, 1 + random.nextInt(5))); // the start of a frame that never ends
      }
      s.bytes = all.toByteArray();
      return s;
    }

    /** A frame whose length is not minimally encoded (or, now and then, negative). */
    static byte[] encodeLong(int b0, byte[] payload, boolean masked, int key) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(b0);
      out.write((masked ? 0x80 : 0) | 127);
      long length = payload.length % 3 == 0 ? -1L : payload.length;
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (length >>> shift));
      }
      if (masked) {
        WireBytes.writeKey(out, key);
      }
      out.writeBytes(masked ? WireBytes.mask(payload, key) : payload);
      return out.toByteArray();
    }

    static byte[] randomPayload(Random random, boolean text) {
      int size = switch (random.nextInt(40)) {
        case 0, 1 -> 0;
        case 2, 3, 4, 5, 6, 7 -> 126 + random.nextInt(1000); // a 16-bit length
        case 8 -> 1126 + random.nextInt(65536 - 1126);
        case 9 -> 65536 + random.nextInt(MAX_FRAME - 65536); // a 64-bit length
        default -> random.nextInt(126);
      };
      if (!text) {
        return randomBytes(random, size);
      }
      StringBuilder sb = new StringBuilder();
      while (sb.length() < size) {
        sb.append(random.nextInt(8) == 0 ? "κό" : "plain");
      }
      return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] closeBody(Random random, boolean faulty) {
      if (faulty && random.nextInt(3) == 0) {
        return switch (random.nextInt(3)) {
          case 0 -> new byte[] {3}; // a code without its second byte
          case 1 -> new byte[] {0x03, (byte) 0xEC}; // 1004: not on the wire
          default -> new byte[] {0x03, (byte) 0xE8, (byte) 0xC0, (byte) 0xAF}; // 1000 and an overlong "/"
        };
      }
      return WireBytes.concat(new byte[] {0x03, (byte) 0xE8}, "bye".getBytes(StandardCharsets.UTF_8));
    }

    static byte[] randomBytes(Random random, int size) {
      byte[] b = new byte[size];
      random.nextBytes(b);
      return b;
    }

    @Override
    public String toString() {
      return names.toString();
    }
  }
}
