package dev.wsgate.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * wsgate's inflater on a leg it decompresses itself (permessage-deflate, RFC 7692): inflates each frame of a
 * compressed message (RSV1 on its first frame) as it comes, passing the frames on inflated, RSV1 cleared; messages
 * sent uncompressed pass as they are. A message may not inflate past {@code max-message-size}: the size is checked
 * as zlib produces it, so a deflate bomb costs at most that much before it fails (1009); data that does not inflate
 * fails with 1007. Without context takeover the zlib state is freed after each message, so an idle leg holds none.
 * After a failure the zlib state is freed and what the leg still sends is dropped.
 *
 * <p>Backpressure holds as without compression. Once wsgate stops reading the leg (the other leg's outbound buffer
 * passed its mark), the frames of the read under way are held here as they came, compressed, and inflated only when
 * reading resumes. Otherwise one read of small messages that each inflate close to {@code max-message-size} (64 KiB
 * on the wire can carry 64 MiB) would all be inflated at once, and wait in the session, whatever the mark. So what
 * waits beyond the mark is one read, compressed, and one frame, inflated.
 *
 * <p>Netty's own permessage-deflate decoder is not used for this: it gathers a frame whole before handing it on, and
 * its allocation limit trips on frames well under it (it asks for twice the input left at every step).
 */
final class MessageInflater extends ChannelDuplexHandler {

  /** A peer's compressed data that wsgate cannot take; the session fails the leg with {@link #code}. */
  static final class Failure extends RuntimeException {
    final int code;

    Failure(int code, String reason) {
      super(reason, null, false, false);
      this.code = code;
    }
  }

  /** What RFC 7692 (7.2.2) has the receiver append to a message's last frame before inflating it. */
  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};
  private static final int CHUNK = 8192;

  private final boolean noContext;
  private final int max;
  private Inflater inflater;
  private boolean compressed;
  private long message;
  private boolean failed;
  /** Frames that came while the leg was not read (backpressure), compressed, in order; null when none. */
  private ArrayDeque<Object> held;

  /**
   * @param noContext true when the peer compresses each message afresh: zlib is freed after each
   * @param max       the largest message, inflated
   */
  MessageInflater(boolean noContext, int max) {
    this.noContext = noContext;
    this.max = max;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!failed && msg instanceof WebSocketFrame && (held != null || !ctx.channel().config().isAutoRead())) {
      if (held == null) {
        held = new ArrayDeque<>(4);
      }
      held.add(msg);
      return;
    }
    take(ctx, msg);
  }

  /**
   * Reading resumes (auto-read back on): the held frames go first, inflated one by one until wsgate stops reading
   * again, and the read goes on to the network only once none is held.
   */
  @Override
  public void read(ChannelHandlerContext ctx) {
    if (held == null) {
      ctx.read();
      return;
    }
    do {
      take(ctx, held.poll());
    } while (held != null && !held.isEmpty() && ctx.channel().config().isAutoRead());
    if (held != null && held.isEmpty()) {
      held = null;
    }
    ctx.fireChannelReadComplete(); // the frames taken are a read batch of their own: the session flushes them
    if (held == null) {
      ctx.read();
    }
  }

  private void take(ChannelHandlerContext ctx, Object msg) {
    if (failed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
      WebSocketFrame f = (WebSocketFrame) msg;
      compressed = (f.rsv() & WebSocketExtension.RSV1) != 0;
      message = 0;
    } else if (!(msg instanceof ContinuationWebSocketFrame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    WebSocketFrame frame = (WebSocketFrame) msg;
    if (!compressed) {
      ctx.fireChannelRead(frame);
      return;
    }
    ByteBuf inflated;
    try {
      inflated = inflate(ctx, frame);
    } catch (Failure e) {
      frame.release();
      fail(ctx, e);
      return;
    }
    boolean fin = frame.isFinalFragment();
    int rsv = frame.rsv() & ~WebSocketExtension.RSV1;
    WebSocketFrame out = frame instanceof TextWebSocketFrame ? new TextWebSocketFrame(fin, rsv, inflated)
        : frame instanceof BinaryWebSocketFrame ? new BinaryWebSocketFrame(fin, rsv, inflated)
        : new ContinuationWebSocketFrame(fin, rsv, inflated);
    frame.release();
    if (fin) {
      compressed = false;
      if (noContext) {
        end();
      }
    }
    ctx.fireChannelRead(out);
  }

  /** The frame's payload inflated (with the tail after a message's last frame), within the message's limit. */
  private ByteBuf inflate(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (inflater == null) {
      inflater = new Inflater(true);
    }
    ByteBuf in = frame.content();
    // From the allocator's direct arenas, as the frames the decoder reads: no heap arena kept for inflating.
    ByteBuf out = ctx.alloc().buffer(Math.min(Math.max(in.readableBytes() * 4, 256), CHUNK));
    try {
      feed(in.nioBuffer(), out);
      if (frame.isFinalFragment()) {
        feed(ByteBuffer.wrap(TAIL), out);
      }
      return out;
    } catch (DataFormatException e) {
      out.release();
      throw new Failure(CloseCodes.INVALID_PAYLOAD, "compressed data that does not inflate");
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  private void feed(ByteBuffer input, ByteBuf out) throws DataFormatException {
    inflater.setInput(input);
    while (true) {
      if (!out.isWritable()) {
        out.ensureWritable(Math.min(Math.max(out.capacity(), CHUNK), max + 1 - out.writerIndex() > 0
            ? max + 1 - out.writerIndex() : 1));
      }
      int n = inflater.inflate(out.internalNioBuffer(out.writerIndex(), out.writableBytes()));
      out.writerIndex(out.writerIndex() + n);
      message += n;
      if (message > max) {
        throw new Failure(CloseCodes.MESSAGE_TOO_BIG, "message over " + max + " bytes once inflated");
      }
      if (n == 0 && (inflater.needsInput() || inflater.finished())) {
        return;
      }
      if (inflater.needsDictionary()) {
        throw new DataFormatException("a preset dictionary");
      }
    }
  }

  private void fail(ChannelHandlerContext ctx, Failure failure) {
    failed = true;
    end();
    ctx.fireExceptionCaught(failure);
  }

  private void end() {
    if (inflater != null) {
      inflater.end();
      inflater = null;
    }
  }

  private void releaseHeld() {
    if (held != null) {
      for (Object frame; (frame = held.poll()) != null; ) {
        ReferenceCountUtil.release(frame);
      }
      held = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
    end();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    end();
    ctx.fireChannelInactive();
  }
}
