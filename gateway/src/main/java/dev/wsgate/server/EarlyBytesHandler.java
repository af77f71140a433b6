package dev.wsgate.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Holds the bytes a client sends after its request head, until wsgate knows what they are. It sits on the network
 * side of the HTTP codec from accept (after TLS), passes the request head to the codec, and keeps every byte after
 * it, in order:
 * <ul>
 *   <li>frames written right behind the upgrade request (in the same packet, or before the {@code 101}) are
 *       {@linkplain #release released} into the WebSocket decoder once the session has started, so that they are
 *       relayed in order instead of being parsed as HTTP and lost;</li>
 *   <li>a request pipelined behind the upgrade request {@linkplain #pipelinedRequest shows}: its first byte is a
 *       letter, which no client frame starts with (it would set a reserved bit); before the upgrade wsgate answers
 *       {@code 400}, after it the WebSocket decoder fails it with 1002;</li>
 *   <li>a request body never reaches the codec (an upgrade request has none; wsgate answers {@code 400}), so no body
 *       buffer is left to leak.</li>
 * </ul>
 * At most {@code limit} bytes are held: past it the connection stops reading until the session starts. What is held
 * is released when the connection closes. Only the client connection's event loop touches it.
 */
final class EarlyBytesHandler extends ChannelInboundHandlerAdapter {

  private final int limit;
  private final ArrayDeque<ByteBuf> held = new ArrayDeque<>(2);
  private int heldBytes;
  private boolean headDone;
  private boolean lineSeen;
  private int lineLength;
  private ChannelHandlerContext ctx;

  /** @param limit the bytes held before the connection stops reading (the write-buffer high-water mark) */
  EarlyBytesHandler(int limit) {
    this.limit = limit;
  }

  /** The handler of a client connection, or null when it has none (any more). */
  static EarlyBytesHandler of(Channel channel) {
    return channel.pipeline().get(EarlyBytesHandler.class);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ByteBuf in = (ByteBuf) msg;
    if (headDone) {
      hold(in);
      return;
    }
    int end = endOfHead(in);
    if (end < 0) {
      ctx.fireChannelRead(in);
      return;
    }
    headDone = true;
    int afterHead = end + 1 - in.readerIndex();
    if (afterHead == in.readableBytes()) {
      ctx.fireChannelRead(in);
    } else {
      ByteBuf head = in.readRetainedSlice(afterHead);
      hold(in);
      ctx.fireChannelRead(head);
    }
  }

  private void hold(ByteBuf in) {
    if (!in.isReadable()) {
      in.release();
      return;
    }
    held.add(in);
    heldBytes += in.readableBytes();
    if (heldBytes >= limit) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  /**
   * The index of the last byte of the request head (the line feed of its empty line), or -1 when {@code in} does not
   * hold it. Empty lines before the request line are skipped, as the codec skips them; a carriage return before a
   * line feed is optional, as it is for the codec.
   */
  private int endOfHead(ByteBuf in) {
    for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
      byte b = in.getByte(i);
      if (b == '\n') {
        if (lineLength == 0 && lineSeen) {
          return i;
        }
        lineSeen |= lineLength > 0;
        lineLength = 0;
      } else if (b != '\r') {
        lineLength++;
      }
    }
    return -1;
  }

  /**
   * True when the bytes held so far start like an HTTP request (a method's first letter), not like a frame: a
   * request pipelined behind the upgrade request.
   */
  boolean pipelinedRequest() {
    ByteBuf first = held.peek();
    if (first == null) {
      return false;
    }
    byte b = first.getByte(first.readerIndex());
    return b >= 'A' && b <= 'Z';
  }

  /**
   * The session has started, and the WebSocket decoder now follows this handler: what is held goes into it, in
   * order, and this handler leaves the pipeline. Runs on the connection's event loop.
   */
  void release() {
    ChannelHandlerContext c = ctx;
    boolean any = !held.isEmpty();
    for (ByteBuf b; (b = held.poll()) != null; ) {
      c.fireChannelRead(b);
    }
    heldBytes = 0;
    if (any) {
      c.fireChannelReadComplete();
    }
    c.pipeline().remove(this);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    for (ByteBuf b; (b = held.poll()) != null; ) {
      ReferenceCountUtil.release(b);
    }
  }
}
