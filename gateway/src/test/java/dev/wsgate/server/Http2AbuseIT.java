package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/2 abuse, written as raw frames by a client that no HTTP/2 library would let behave so: Netty's codec, with
 * the limits {@link Http2Front} sets, cuts the connection off ({@code GOAWAY}, then the close), and everything the
 * connection and its streams took is given back.
 */
class Http2AbuseIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int HEADERS = 0x1;
  private static final int RST_STREAM = 0x3;
  private static final int SETTINGS = 0x4;
  private static final int PING = 0x6;
  private static final int GOAWAY = 0x7;
  private static final int CONTINUATION = 0x9;
  private static final int END_HEADERS = 0x4;

  private RawUpstream upstream;
  private TestGateway gw;

  @BeforeEach
  void start() throws Exception {
    upstream = RawUpstream.echo();
    gw = TestGateway.start("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          http2: on
        routes:
          - path: /echo
            upstreams: ["%s"]
        """.formatted(upstream.uri()));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (gw != null) {
        gw.close(); // waits until every session finished and every place is released
      }
    } finally {
      if (upstream != null) {
        upstream.close();
      }
    }
  }

  /** Rapid reset (CVE-2023-44487): streams opened and reset at once, past 200 in 30 s. */
  @Test
  void rapidResetIsCutOff() throws Exception {
    DefaultHttp2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder();
    ByteArrayOutputStream out = preface();
    int streams = Http2Front.MAX_RESETS_PER_WINDOW + 50;
    for (int i = 0; i < streams; i++) {
      int id = 2 * i + 1;
      frame(out, HEADERS, END_HEADERS, id, hpack(hpack, id, "/nowhere"));
      frame(out, RST_STREAM, 0, id, new byte[] {0, 0, 0, (byte) Http2Error.CANCEL.code()});
    }
    List<long[]> goAways = exchange(out.toByteArray());
    assertThat(goAways).as("GOAWAYs (error code, last stream)").hasSize(1);
    assertThat(goAways.get(0)[0]).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
    assertBack();
  }

  /** CONTINUATION flood (2024): a header block that never ends, in small frames. */
  @Test
  void aFloodOfSmallContinuationFramesIsCutOff() throws Exception {
    DefaultHttp2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder();
    ByteArrayOutputStream out = preface();
    byte[] block = hpack(hpack, 1, "/echo");
    frame(out, HEADERS, 0, 1, block); // no END_HEADERS
    for (int i = 0; i < 1000; i++) {
      frame(out, CONTINUATION, 0, 1, new byte[0]);
    }
    List<long[]> goAways = exchange(out.toByteArray());
    assertThat(goAways).hasSize(1);
    assertThat(goAways.get(0)[0]).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
    assertBack();
  }

  /** CONTINUATION flood in large frames: the header block outgrows the header list size, and the connection ends. */
  @Test
  void aHeaderBlockPastTheListSizeIsCutOff() throws Exception {
    ByteArrayOutputStream out = preface();
    byte[] chunk = new byte[Http2Front.MAX_HEADER_LIST_SIZE];
    frame(out, HEADERS, 0, 1, chunk); // no END_HEADERS; never decoded
    for (int i = 0; i < 20; i++) {
      frame(out, CONTINUATION, 0, 1, chunk);
    }
    List<long[]> goAways = exchange(out.toByteArray());
    assertThat(goAways).hasSize(1);
    assertThat(goAways.get(0)[0]).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
    assertBack();
  }

  /**
   * Ping and settings floods (CVE-2019-9512, -9515): PINGs, or empty SETTINGS, each asking for an ACK, from a client
   * that reads none of the ACKs.
   */
  @ParameterizedTest(name = "frame type {0}")
  @ValueSource(ints = {PING, SETTINGS})
  void aControlFrameFloodFromAClientThatReadsNothingIsCutOff(int type) throws Exception {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame(frame, type, 0, 0, new byte[type == PING ? 8 : 0]);
    assertCutOffWhileNotReading(frame.toByteArray());
    assertBack();
  }

  /**
   * Sends the preface, then {@code frame} over and over without reading: far more frames (34 MB of PINGs) than the
   * socket buffers of both ends hold in ACKs (some MB each way), so that the ACKs queue in the gateway past
   * {@link Http2Front#MAX_QUEUED_CONTROL_FRAMES}. Then reads what the gateway sent, and fails unless it closed the
   * connection: a gateway that kept it would keep queueing ACKs for as long as the client sent.
   */
  private void assertCutOffWhileNotReading(byte[] frame) throws Exception {
    byte[] batch = new byte[frame.length * 4096];
    for (int i = 0; i < 4096; i++) {
      System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(gw.address().getAddress(), gw.port()), (int) WAIT.toMillis());
      s.setSoTimeout((int) WAIT.toMillis());
      OutputStream out = s.getOutputStream();
      CompletableFuture<Boolean> flood = CompletableFuture.supplyAsync(() -> {
        try {
          out.write(preface().toByteArray());
          for (int i = 0; i < 2_000_000 / 4096; i++) {
            out.write(batch);
          }
          return false;
        } catch (IOException cut) {
          return true; // the gateway closed the connection while the client was still sending
        }
      });
      boolean cutWhileSending;
      try {
        cutWhileSending = flood.get(WAIT.toSeconds() * 3, TimeUnit.SECONDS);
      } catch (TimeoutException stalled) {
        throw new AssertionError("the flood neither went through in " + WAIT.toSeconds() * 3 + " s nor was cut off");
      }
      InputStream in = s.getInputStream();
      byte[] sink = new byte[1 << 16];
      try {
        while (in.read(sink) >= 0) {
          // the ACKs sent before the gateway gave up, then the end
        }
      } catch (SocketTimeoutException held) {
        throw new AssertionError("the gateway held the connection of a client that reads none of its ACKs"
            + (cutWhileSending ? "" : " (all sent)"));
      } catch (SocketException closed) {
        // reset: closed, with what the client did not read
      }
    }
  }

  private void assertBack() throws InterruptedException {
    gw.awaitIdle(WAIT);
    assertThat(gw.gateway().connectionsHeld()).as("places").isZero();
    assertThat(gw.gateway().sessions().size()).isZero();
  }

  /** The preface and an empty SETTINGS. */
  private static ByteArrayOutputStream preface() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Http2Preface.PREFACE);
    frame(out, SETTINGS, 0, 0, new byte[0]);
    return out;
  }

  private byte[] hpack(DefaultHttp2HeadersEncoder encoder, int streamId, String path) throws Exception {
    Http2Headers h = new DefaultHttp2Headers().method("CONNECT").path(path).scheme("http")
        .authority("127.0.0.1:" + gw.port());
    h.set(":protocol", "websocket");
    h.set("sec-websocket-version", "13");
    ByteBuf buf = Unpooled.buffer();
    try {
      encoder.encodeHeaders(streamId, h, buf);
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      return bytes;
    } finally {
      buf.release();
    }
  }

  private static void frame(ByteArrayOutputStream out, int type, int flags, int streamId, byte[] payload) {
    int n = payload.length;
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    out.write(type);
    out.write(flags);
    out.write(streamId >>> 24);
    out.write(streamId >>> 16);
    out.write(streamId >>> 8);
    out.write(streamId);
    out.write(payload, 0, n);
  }

  /**
   * Sends {@code bytes} at once, then reads the server's frames until it closes the connection: its GOAWAYs (error
   * code, last stream id). Fails when the connection is still open after {@link #WAIT}.
   */
  private List<long[]> exchange(byte[] bytes) throws IOException {
    List<long[]> goAways = new ArrayList<>();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(gw.address().getAddress(), gw.port()), (int) WAIT.toMillis());
      s.setSoTimeout((int) WAIT.toMillis());
      try {
        s.getOutputStream().write(bytes);
        s.getOutputStream().flush();
      } catch (SocketException cutWhileWriting) {
        // the server may close before it read everything: what it sent before is still to be read
      }
      DataInputStream in = new DataInputStream(s.getInputStream());
      try {
        while (true) {
          int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
          int type = in.readUnsignedByte();
          in.readUnsignedByte(); // flags
          in.readInt(); // stream id
          byte[] payload = new byte[length];
          in.readFully(payload);
          if (type == GOAWAY) {
            long last = ((payload[0] & 0x7fL) << 24) | ((payload[1] & 0xffL) << 16) | ((payload[2] & 0xffL) << 8)
                | (payload[3] & 0xffL);
            long code = ((payload[4] & 0xffL) << 24) | ((payload[5] & 0xffL) << 16) | ((payload[6] & 0xffL) << 8)
                | (payload[7] & 0xffL);
            goAways.add(new long[] {code, last});
          }
        }
      } catch (EOFException | SocketException closed) {
        // the server closed the connection (a reset after its GOAWAY counts as closed too)
      }
    }
    return goAways;
  }
}
