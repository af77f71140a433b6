package dev.wsgate.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client by prior knowledge (h2c) for tests of WebSocket over HTTP/2 (RFC 8441), of Netty's codec: opens
 * extended CONNECT streams, sends masked frames on them as DATA and reads the server's frames from their DATA.
 * Every wait is bounded ({@link #TIMEOUT}).
 */
public final class H2Client implements AutoCloseable {

  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final EventLoopGroup group;
  private final Channel connection;
  private final InetSocketAddress address;
  private final CompletableFuture<Http2Settings> serverSettings = new CompletableFuture<>();
  private final CompletableFuture<long[]> goAway = new CompletableFuture<>();

  private H2Client(InetSocketAddress address, SslContext tls, byte[] first) throws InterruptedException {
    this.address = address;
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Channel ch;
    try {
      ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
              if (first == null) {
                http2(c);
                return;
              }
              // The PROXY header goes first: HTTP/2's handlers come once it is written, their preface after it.
              c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                  ctx.writeAndFlush(Unpooled.wrappedBuffer(first));
                  http2(ctx.channel());
                  ctx.pipeline().remove(this);
                  ctx.fireChannelActive();
                }
              });
            }

            private void http2(Channel c) {
              if (tls != null) {
                c.pipeline().addLast(tls.newHandler(c.alloc(), address.getHostString(), address.getPort()));
              }
              c.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
              c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                  if (msg instanceof Http2SettingsFrame s) {
                    serverSettings.complete(s.settings());
                  } else if (msg instanceof Http2GoAwayFrame g) {
                    goAway.complete(new long[] {g.errorCode(), g.lastStreamId()});
                  }
                  ctx.fireChannelRead(msg);
                }
              });
              c.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
            }
          })
          .connect(address).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
    // channelActive (and, with a PROXY header, HTTP/2's handlers) comes right after the connect completes, in the
    // same task of the loop: the next task sees them.
    ch.eventLoop().submit(() -> null).syncUninterruptibly();
    this.connection = ch;
  }

  public static H2Client connect(InetSocketAddress address) throws InterruptedException {
    return new H2Client(address, null, null);
  }

  /** A client by prior knowledge whose connection starts with {@code first} (a PROXY protocol header). */
  public static H2Client connect(InetSocketAddress address, byte[] first) throws InterruptedException {
    return new H2Client(address, null, first);
  }

  /**
   * An HTTP/2 client over TLS offering {@code alpn} (trusting any certificate); whether the connection speaks HTTP/2
   * is the server's choice: {@link #alpn()}.
   */
  public static H2Client connectTls(InetSocketAddress address, String... alpn) throws Exception {
    SslContext tls = SslContextBuilder.forClient()
        .sslProvider(SslProvider.JDK)
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn))
        .build();
    H2Client client = new H2Client(address, tls, null);
    client.connection.pipeline().get(SslHandler.class).handshakeFuture().get(TIMEOUT.toMillis(),
        TimeUnit.MILLISECONDS);
    return client;
  }

  /** The protocol TLS chose by ALPN, or null. */
  public String alpn() {
    SslHandler ssl = connection.pipeline().get(SslHandler.class);
    return ssl == null ? null : ssl.applicationProtocol();
  }

  /** The server's first SETTINGS. */
  public Http2Settings settings() throws Exception {
    return serverSettings.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The server's GOAWAY: its error code and last stream id. */
  public long[] goAway() throws Exception {
    return goAway.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The server's first SETTINGS if they came, else null (without waiting). */
  public Http2Settings settingsIfAny() {
    return serverSettings.getNow(null);
  }

  public Channel connection() {
    return connection;
  }

  /** Opens a stream with an extended CONNECT for WebSocket on {@code path}, with {@code headers} added. */
  public Stream websocket(String path, Map<String, String> headers) throws Exception {
    Http2Headers h = new DefaultHttp2Headers().method("CONNECT").path(path).scheme("http")
        .authority(address.getHostString() + ":" + address.getPort());
    h.set(":protocol", "websocket");
    h.set("sec-websocket-version", "13");
    headers.forEach((k, v) -> {
      if (v == null) {
        h.remove(k);
      } else {
        h.set(k, v);
      }
    });
    return request(h);
  }

  /** Opens a stream with exactly these request headers. */
  public Stream request(Http2Headers h) throws Exception {
    Stream stream = new Stream();
    Http2StreamChannel channel = new Http2StreamChannelBootstrap(connection).handler(stream).open()
        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    stream.channel = channel;
    channel.writeAndFlush(new DefaultHttp2HeadersFrame(h, false)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    return stream;
  }

  @Override
  public void close() {
    connection.close().awaitUninterruptibly(TIMEOUT.toMillis());
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(TIMEOUT.toMillis());
  }

  /** One stream: its response headers, and its DATA as a byte stream. */
  public static final class Stream extends ChannelInboundHandlerAdapter {
    private static final byte[] EOF = new byte[0];

    private final CompletableFuture<Http2Headers> response = new CompletableFuture<>();
    private final CompletableFuture<Long> reset = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final BlockingQueue<byte[]> data = new LinkedBlockingQueue<>();
    private final InputStream in = new QueueInput();
    private volatile boolean ended;
    private Http2StreamChannel channel;

    public Http2StreamChannel channel() {
      return channel;
    }

    public Http2Headers response() throws Exception {
      return response.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int status() throws Exception {
      return Integer.parseInt(response().status().toString());
    }

    /** The rest of the DATA, up to END_STREAM, as text. */
    public String body() throws IOException {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    public void send(int opcode, byte[] payload) throws Exception {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      WsWire.writeFrame(frame, true, 0, opcode, payload, true);
      channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(frame.toByteArray())))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A frame with reserved bits {@code rsv} (RSV1 = 4: a compressed message's first frame), final, masked. */
    public void sendRaw(int rsv, int opcode, byte[] payload) throws Exception {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      WsWire.writeFrame(frame, true, rsv, opcode, payload, true);
      channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(frame.toByteArray())))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void sendText(String text) throws Exception {
      send(WsFrame.TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendClose(int code, String reason) throws Exception {
      send(WsFrame.CLOSE, WsWire.closePayload(code, reason));
    }

    /** The server's next frame on the stream. */
    public WsFrame read() throws IOException {
      return WsWire.readFrame(in);
    }

    /** Resets the stream ({@code RST_STREAM CANCEL}). */
    public void reset() throws Exception {
      channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL)).get(TIMEOUT.toMillis(),
          TimeUnit.MILLISECONDS);
    }

    /** Waits until the stream's channel is closed (the stream ended both ways, or was reset). */
    /**
     * The whole close of a session from the client's side (1000 both ways): the client's close, the upstream's
     * answer, and the stream ended; then the upstream's connection closed.
     */
    public void closeCleanly(RawUpstream.Conn upstream) throws Exception {
      sendClose(1000, "");
      int code = upstream.readClose().closeCode();
      if (code != 1000) {
        throw new AssertionError("the upstream got close code " + code + ", not the client's 1000");
      }
      upstream.sendClose(1000, "");
      code = read().closeCode();
      if (code != 1000) {
        throw new AssertionError("the client got close code " + code + ", not the upstream's 1000");
      }
      awaitClosed();
      upstream.close();
    }

    public void awaitClosed() throws Exception {
      closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True once the server ended its side (END_STREAM). */
    public boolean ended() {
      return ended;
    }

    /** The error code of the server's RST_STREAM, or null when it sent none (yet). */
    public Long resetCode() {
      return reset.getNow(null);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame h) {
          response.complete(h.headers());
          if (h.isEndStream()) {
            end();
          }
        } else if (msg instanceof Http2DataFrame d) {
          ByteBuf content = d.content();
          byte[] bytes = new byte[content.readableBytes()];
          content.readBytes(bytes);
          if (bytes.length > 0) {
            data.add(bytes);
          }
          if (d.isEndStream()) {
            end();
          }
        } else if (msg instanceof Http2ResetFrame r) {
          reset.complete(r.errorCode());
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame r) {
        reset.complete(r.errorCode());
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      data.add(EOF);
      closed.complete(null);
      ctx.fireChannelInactive();
    }

    private void end() {
      ended = true;
      data.add(EOF);
    }

    private final class QueueInput extends InputStream {
      private byte[] current;
      private int at;

      @Override
      public int read() throws IOException {
        while (current == null || at == current.length) {
          if (current == EOF) {
            return -1;
          }
          try {
            current = data.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
          }
          if (current == null) {
            throw new SocketTimeoutException("nothing on the stream within " + TIMEOUT);
          }
          at = 0;
        }
        return current[at++] & 0xff;
      }
    }
  }
}
