package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bytes after a request head: held, never parsed as HTTP, handed on in order once the session starts. */
class EarlyBytesHandlerTest {

  private static final String HEAD = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n";

  private final List<String> passed = new ArrayList<>();
  private EmbeddedChannel channel;
  private EarlyBytesHandler early;

  private void setUp(int limit) {
    early = new EarlyBytesHandler(limit);
    channel = new EmbeddedChannel(early, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        passed.add(((ByteBuf) msg).toString(StandardCharsets.ISO_8859_1));
        ReferenceCountUtil.release(msg);
      }
    });
  }

  @AfterEach
  void tearDown() {
    channel.finishAndReleaseAll();
  }

  private void read(String s) {
    channel.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
  }

  @Test
  void theHeadGoesOnAndWhatFollowsItIsHeldUntilReleasedInOrder() {
    setUp(65536);
    read(HEAD + "\u0081\u0085frame1");
    read("frame2");
    assertThat(passed).containsExactly(HEAD);
    assertThat(early.pipelinedRequest()).isFalse();
    early.release();
    assertThat(passed).containsExactly(HEAD, "\u0081\u0085frame1", "frame2");
    assertThat(channel.pipeline().get(EarlyBytesHandler.class)).as("it leaves once released").isNull();
    read("after");
    assertThat(passed).last().isEqualTo("after");
  }

  @Test
  void aHeadInPiecesWithBareLineFeedsAndLeadingEmptyLinesIsFoundWhereTheCodecEndsIt() {
    setUp(65536);
    read("\r\nGET / HTTP/1.1\nHost: x\r");
    read("\n");
    read("\nbody?");
    assertThat(String.join("", passed)).isEqualTo("\r\nGET / HTTP/1.1\nHost: x\r\n\n");
    assertThat(early.pipelinedRequest()).isFalse(); // 'b' is not a method's first letter
  }

  @Test
  void aRequestPipelinedBehindTheHeadShows() {
    setUp(65536);
    read(HEAD + "GET /other HTTP/1.1\r\n\r\n");
    assertThat(passed).containsExactly(HEAD);
    assertThat(early.pipelinedRequest()).isTrue();
  }

  @Test
  void pastTheLimitTheConnectionStopsReading() {
    setUp(8);
    read(HEAD + "1234");
    assertThat(channel.config().isAutoRead()).isTrue();
    read("5678");
    assertThat(channel.config().isAutoRead()).isFalse();
  }

  @Test
  void whatIsHeldIsReleasedWhenTheConnectionCloses() {
    setUp(65536);
    ByteBuf body = Unpooled.copiedBuffer(HEAD + "a body nobody reads", StandardCharsets.ISO_8859_1);
    ByteBuf more = Unpooled.copiedBuffer("more", StandardCharsets.ISO_8859_1);
    channel.writeInbound(body, more);
    channel.close();
    channel.finishAndReleaseAll();
    assertThat(body.refCnt()).isZero();
    assertThat(more.refCnt()).isZero();
  }
}
