package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a stream's first handler makes of frames (its close needs a real stream: {@code Http2IT}). */
class Http2StreamBytesTest {

  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new Http2StreamBytes(Duration.ofSeconds(1)));
  }

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  @Test
  void theRequestHeadersPassAndDataBecomesBytes() {
    EmbeddedChannel ch = channel();
    Http2HeadersFrame request = new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("CONNECT"));
    ch.writeInbound(request);
    assertThat((Object) ch.readInbound()).isSameAs(request);
    ch.writeInbound(new DefaultHttp2DataFrame(text("frame bytes")));
    ByteBuf bytes = ch.readInbound();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("frame bytes");
    bytes.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void trailersAndEmptyDataGoNoFurther() {
    EmbeddedChannel ch = channel();
    ch.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("CONNECT")));
    ch.<Object>readInbound();
    ch.writeInbound(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
    ch.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("trailer", "x"), true));
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void bytesOutAreDataFramesAndFramesPassAsTheyAre() {
    EmbeddedChannel ch = channel();
    Http2Headers ok = new DefaultHttp2Headers().status("200");
    ch.writeOutbound(new DefaultHttp2HeadersFrame(ok, false), text("ws frame"));
    Http2HeadersFrame headers = ch.readOutbound();
    assertThat(headers.headers().status()).hasToString("200");
    Http2DataFrame data = ch.readOutbound();
    assertThat(data.isEndStream()).isFalse();
    assertThat(data.content().toString(StandardCharsets.UTF_8)).isEqualTo("ws frame");
    data.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void nothingIsWrittenAfterTheEnd() {
    EmbeddedChannel ch = channel();
    ch.writeOutbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("404"), false),
        new DefaultHttp2DataFrame(text("404 Not Found\n"), true));
    ByteBuf late = text("late");
    assertThat(ch.writeOneOutbound(late).isSuccess()).isFalse();
    assertThat(late.refCnt()).isZero();
    List<Object> out = List.of(ch.readOutbound(), ch.readOutbound());
    assertThat(out.get(1)).isInstanceOf(Http2DataFrame.class);
    ((Http2DataFrame) out.get(1)).release();
    assertThat((Object) ch.readOutbound()).isNull();
  }

  @Test
  void theRequestsHeadersAsHttp11HasThemForTheChecksAndTheUpstream() {
    Http2Headers h2 = new DefaultHttp2Headers().method("CONNECT").path("/chat").authority("example.com:8443")
        .scheme("https");
    h2.set(":protocol", "websocket");
    h2.add("cookie", "a=1");
    h2.add("cookie", "b=2");
    h2.add("origin", "https://app.example.com");
    var h1 = Http2Handshake.http1Headers(h2);
    assertThat(h1.get("host")).isEqualTo("example.com:8443");
    assertThat(h1.getAll("cookie")).containsExactly("a=1; b=2");
    assertThat(h1.get("origin")).isEqualTo("https://app.example.com");
    assertThat(h1.names()).noneMatch(n -> n.startsWith(":"));
  }
}
