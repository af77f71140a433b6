package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

/** The heartbeat's ping is written as wire bytes: Netty's decoder reads them as the peer would. */
class PingFrameTest {

  /**
   * {@code wire} (released) as a peer's Netty decoder reads it: one frame, masked when {@code masked} (a server reads
   * a client's masked frames, a client a server's unmasked ones), and nothing left over.
   */
  static WebSocketFrame decode(ByteBuf wire, boolean masked) {
    EmbeddedChannel peer = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(masked).allowMaskMismatch(false).build()));
    try {
      assertThat(peer.writeInbound(wire)).as("a whole frame").isTrue();
      WebSocketFrame frame = peer.readInbound();
      assertThat((Object) peer.readInbound()).as("one frame").isNull();
      assertThat((Object) peer.readOutbound()).as("no protocol error answered").isNull();
      return frame;
    } finally {
      peer.finishAndReleaseAll();
    }
  }

  @Test
  void aClientLegsPingIsAFinalUnmaskedPingOfSequenceAndTime() {
    ByteBuf wire = PingFrame.encode(ByteBufAllocator.DEFAULT, false, 7, 123_456_789L);
    assertThat(wire.readableBytes()).isEqualTo(2 + 16);
    assertThat((int) wire.getUnsignedByte(0)).as("FIN, ping").isEqualTo(0x89);
    assertThat((int) wire.getUnsignedByte(1)).as("unmasked, 16 bytes").isEqualTo(16);
    WebSocketFrame frame = decode(wire, false);
    try {
      assertThat(frame).isInstanceOf(PingWebSocketFrame.class);
      assertThat(frame.isFinalFragment()).isTrue();
      assertThat(frame.content().readableBytes()).isEqualTo(16);
      assertThat(frame.content().getLong(0)).isEqualTo(7);
      assertThat(frame.content().getLong(8)).isEqualTo(123_456_789L);
    } finally {
      frame.release();
    }
  }

  @Test
  void anUpstreamLegsPingIsMaskedWithAKeyOfItsOwn() {
    ByteBuf first = PingFrame.encode(ByteBufAllocator.DEFAULT, true, -1L, Long.MIN_VALUE);
    ByteBuf second = PingFrame.encode(ByteBufAllocator.DEFAULT, true, -1L, Long.MIN_VALUE);
    assertThat(first.readableBytes()).isEqualTo(6 + 16);
    assertThat((int) first.getUnsignedByte(1)).as("masked, 16 bytes").isEqualTo(0x80 | 16);
    assertThat(first.getInt(2)).as("a key a frame").isNotEqualTo(second.getInt(2));
    second.release();
    WebSocketFrame frame = decode(first, true);
    try {
      assertThat(frame).isInstanceOf(PingWebSocketFrame.class);
      assertThat(frame.content().getLong(0)).as("every byte unmasked").isEqualTo(-1L);
      assertThat(frame.content().getLong(8)).isEqualTo(Long.MIN_VALUE);
    } finally {
      frame.release();
    }
  }
}
