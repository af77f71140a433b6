package dev.wsgate.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * {@code server.http2: on}: tells, from a client connection's first bytes, HTTP/2 (RFC 9113 3.4: the connection
 * preface {@code PRI * HTTP/2.0...}) from HTTP/1.1. On a TLS connection, only one that chose {@code h2} by ALPN
 * may speak HTTP/2 (RFC 9113 3.3: prior knowledge is for cleartext); the preface on any other is HTTP/1.1's to refuse. An HTTP/1.1 request differs from the preface at
 * its first byte ({@code G} of {@code GET}), so an HTTP/1.1 connection passes at once, its bytes untouched, and the
 * handler leaves; a connection that sends the whole preface is handed to {@code toHttp2} (which puts HTTP/2 in place
 * of the HTTP/1.1 server behind this handler), then gets its bytes, preface first, and the handler leaves. Until the
 * preface is whole (at most 24 bytes) it is held here.
 */
final class Http2Preface extends ChannelInboundHandlerAdapter {

  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Consumer<ChannelHandlerContext> toHttp2;
  private ByteBuf held;

  /** @param toHttp2 puts the HTTP/2 handlers after this handler's context, in place of HTTP/1.1's */
  Http2Preface(Consumer<ChannelHandlerContext> toHttp2) {
    this.toHttp2 = toHttp2;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ByteBuf all = in;
    if (held != null) {
      all = held.writeBytes(in);
      in.release();
      held = null;
    }
    int n = Math.min(all.readableBytes(), PREFACE.length);
    for (int i = 0; i < n; i++) {
      if (all.getByte(all.readerIndex() + i) != PREFACE[i]) {
        ctx.fireChannelRead(all);
        ctx.pipeline().remove(this);
        return;
      }
    }
    if (n < PREFACE.length) {
      if (all == in) {
        held = ctx.alloc().buffer(PREFACE.length).writeBytes(in);
        in.release();
      } else {
        held = all;
      }
      return;
    }
    if (!http2Allowed(ctx)) {
      ctx.fireChannelRead(all);
      ctx.pipeline().remove(this);
      return;
    }
    toHttp2.accept(ctx);
    ctx.fireChannelRead(all);
    ctx.pipeline().remove(this);
  }

  /** Cleartext, or TLS with {@code h2} chosen by ALPN. */
  private static boolean http2Allowed(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    return ssl == null || ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    release();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    release();
  }

  private void release() {
    if (held != null) {
      held.release();
      held = null;
    }
  }
}
