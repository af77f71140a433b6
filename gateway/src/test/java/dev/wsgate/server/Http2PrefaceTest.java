package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class Http2PrefaceTest {

  private final List<String> switched = new ArrayList<>();

  private EmbeddedChannel channel() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.pipeline().addLast("preface", new Http2Preface((ChannelHandlerContext ctx) -> switched.add(ctx.name())));
    return ch;
  }

  private static ByteBuf bytes(byte[] b) {
    return Unpooled.wrappedBuffer(b);
  }

  private static String drain(EmbeddedChannel ch) {
    StringBuilder all = new StringBuilder();
    for (ByteBuf b = ch.readInbound(); b != null; b = ch.readInbound()) {
      all.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return all.toString();
  }

  @Test
  void anHttp11RequestPassesAtOnceUntouchedAndTheHandlerLeaves() {
    EmbeddedChannel ch = channel();
    ch.writeInbound(bytes("G".getBytes(StandardCharsets.US_ASCII)));
    assertThat(ch.pipeline().get("preface")).isNull();
    ch.writeInbound(bytes("ET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)));
    assertThat(drain(ch)).isEqualTo("GET / HTTP/1.1\r\n");
    assertThat(switched).isEmpty();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void aPrefaceInPiecesIsHeldThenSwitchesAndPassesWithWhatFollows() {
    EmbeddedChannel ch = channel();
    byte[] preface = Http2Preface.PREFACE;
    ch.writeInbound(bytes(Arrays.copyOfRange(preface, 0, 3)));
    ch.writeInbound(bytes(Arrays.copyOfRange(preface, 3, 20)));
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(switched).isEmpty();
    byte[] rest = new byte[preface.length - 20 + 2];
    System.arraycopy(preface, 20, rest, 0, preface.length - 20);
    rest[rest.length - 2] = 'x';
    rest[rest.length - 1] = 'y';
    ch.writeInbound(bytes(rest));
    assertThat(switched).containsExactly("preface");
    assertThat(drain(ch)).isEqualTo(new String(preface, StandardCharsets.ISO_8859_1) + "xy");
    assertThat(ch.pipeline().get("preface")).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void aConnectionThatDiffersLateFromThePrefaceIsHttp11() {
    EmbeddedChannel ch = channel();
    ch.writeInbound(bytes("PRI * HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)));
    assertThat(drain(ch)).isEqualTo("PRI * HTTP/1.1\r\n");
    assertThat(switched).isEmpty();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void aPartOfThePrefaceHeldWhenTheConnectionClosesIsReleased() {
    EmbeddedChannel ch = channel();
    ByteBuf part = bytes(Arrays.copyOfRange(Http2Preface.PREFACE, 0, 5));
    ch.writeInbound(part);
    assertThat(part.refCnt()).isZero(); // copied into what the handler holds
    assertThat(ch.finish()).isFalse(); // the leak detector (paranoid in tests) sees what the handler held released
    assertThat(switched).isEmpty();
  }
}
