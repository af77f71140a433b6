package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Backpressure through the inflater: once the leg is not read, the rest of a read stays compressed, so that one read
 * of small messages that inflate to a megabyte each does not all wait inflated in the session.
 */
class MessageInflaterTest {

  private static final int MAX = 1 << 20;
  /** A message of MAX bytes of zeros: about a kilobyte compressed. */
  private static final byte[] BOMBLET = DeflateNegotiationTest.deflate(new byte[MAX]);

  private final List<WebSocketFrame> passed = new ArrayList<>();
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private int readCompletes;

  @AfterEach
  void tearDown() {
    passed.forEach(ReferenceCountUtil::release);
    channel.finishAndReleaseAll();
  }

  /** The inflater, and after it a relay that stops reading the leg after {@code stopAfter} frames. */
  private void pipeline(int stopAfter) {
    channel.pipeline().addLast(new MessageInflater(true, MAX), new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        passed.add((WebSocketFrame) msg);
        if (passed.size() % stopAfter == 0) {
          ctx.channel().config().setAutoRead(false); // the other leg is full
        }
      }

      @Override
      public void channelReadComplete(ChannelHandlerContext ctx) {
        readCompletes++;
      }
    });
  }

  private static BinaryWebSocketFrame compressed() {
    return new BinaryWebSocketFrame(true, WebSocketExtension.RSV1, Unpooled.wrappedBuffer(BOMBLET));
  }

  @Test
  void whatComesWhileTheLegIsNotReadStaysCompressedUntilReadingResumes() {
    pipeline(2);
    assertThat(BOMBLET.length).as("a megabyte in a kilobyte or two").isLessThan(2048);
    for (int i = 0; i < 10; i++) { // one read: ten messages, 10 MiB once inflated
      channel.pipeline().fireChannelRead(compressed());
    }
    channel.pipeline().fireChannelReadComplete();
    assertThat(passed).as("inflated until reading stopped").hasSize(2);
    assertThat(passed).allSatisfy(f -> assertThat(f.content().readableBytes()).isEqualTo(MAX));
    channel.config().setAutoRead(true); // the other leg drained: Netty asks for a read
    assertThat(passed).as("the held frames go first, until reading stops again").hasSize(4);
    assertThat(readCompletes).as("each batch of held frames ends as a read does, for the session to flush").isEqualTo(2);
    channel.config().setAutoRead(true);
    channel.config().setAutoRead(true);
    channel.config().setAutoRead(true);
    assertThat(passed).hasSize(10);
    assertThat(passed).allSatisfy(f -> {
      assertThat(f.content().readableBytes()).isEqualTo(MAX);
      assertThat(f.rsv()).isZero();
    });
  }

  @Test
  void heldFramesAreReleasedWhenTheConnectionCloses() {
    pipeline(1);
    BinaryWebSocketFrame first = compressed();
    BinaryWebSocketFrame second = compressed();
    channel.pipeline().fireChannelRead(first);
    channel.pipeline().fireChannelRead(second);
    assertThat(passed).hasSize(1);
    assertThat(second.refCnt()).as("held").isEqualTo(1);
    channel.close();
    assertThat(second.refCnt()).as("released with the connection").isZero();
  }
}
