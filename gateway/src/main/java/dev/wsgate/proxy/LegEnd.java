package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatHandler;
import dev.wsgate.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Ticker;
import java.util.ArrayDeque;

/**
 * One leg of a live session, as the session writes to it: its connection, where its close handshake stands, and
 * the frames waiting for its peer once its outbound buffer has passed the write-buffer high-water mark. Confined to
 * the session's event loop, but for what {@link #status} reads, which says so.
 */
final class LegEnd {

  final Leg leg;
  final Channel channel;
  boolean closeSent;
  boolean closeReceived;
  boolean inactive;
  /** The code of the close frame received (1005 without a code, 1006 when the connection ended without one). */
  int receivedCode;
  String receivedReason = "";
  private boolean flushPending;
  /**
   * Frames from the other leg waiting for this one's outbound buffer to drain, each a {@code WebSocketFrame} or a
   * frame relayed verbatim (a {@code ByteBuf}, {@link WireFrameDecoder}); null until the first waits.
   */
  private ArrayDeque<Object> waiting;
  /**
   * Bytes of the waiting frames: their payloads (and a verbatim frame's header). Written on the loop, read by
   * {@link #status} from any thread. An {@code int} (4 bytes a leg less, which keeps a leg end at 48 bytes): what
   * waits is at most one read's frames, each at most 64 MiB ({@code max-frame-size},
   * {@code compression.max-message-size}), far under 2 GiB.
   */
  private volatile int waitingBytes;
  /** The rate limit of what the leg's peer sends; null when the route has none for it. Set once, at the start. */
  LegRate rate;
  /** The leg's heartbeat, once the leg is set up. Written once, read by {@link #status} from any thread. */
  private volatile HeartbeatHandler heartbeat;

  LegEnd(Leg leg, Channel channel) {
    this.leg = leg;
    this.channel = channel;
  }

  /** The leg is set up: its heartbeat (none when the leg has no heartbeat handler). */
  void setUp(HeartbeatHandler heartbeat) {
    this.heartbeat = heartbeat;
  }

  /** The leg's close frame is going out: its heartbeat stops pinging and answering. On the session's loop. */
  void stopHeartbeat() {
    HeartbeatHandler hb = heartbeat;
    if (hb != null) {
      hb.closeSent();
    }
  }

  /**
   * When the leg's last read batch ended, as its heartbeat read the clock then (it sees the batch's end before the
   * relay does), so that a batch costs one clock read; the clock itself on a leg not yet set up.
   */
  long lastReadNanos(Ticker ticker) {
    HeartbeatHandler hb = heartbeat;
    return hb != null ? hb.lastInboundNanos() : ticker.nanoTime();
  }

  /** True while the leg is not read for its peer's rate limit. */
  boolean ratePaused() {
    return rate != null && rate.paused();
  }

  /** True when nothing waits and the outbound buffer is under the mark: the other leg may be read. */
  boolean takesMore() {
    return nothingWaits() && channel.isWritable();
  }

  private boolean nothingWaits() {
    return waiting == null || waiting.isEmpty();
  }

  /**
   * Writes a frame, or, when the outbound buffer is past the mark (or frames wait already), keeps it waiting, in
   * order. Flushed at the end of the read batch ({@link #flushIfPending}).
   *
   * @return true when the leg takes more; false when the one that sent the frame must stop reading
   */
  boolean pass(Object frame) {
    if (!takesMore()) {
      enqueue(frame, false);
      return false;
    }
    Object rest = writeUnderMark(frame);
    if (rest != null) {
      enqueue(rest, false);
      return false;
    }
    return channel.isWritable();
  }

  private void enqueue(Object frame, boolean first) {
    if (waiting == null) {
      waiting = new ArrayDeque<>();
    }
    if (first) {
      waiting.addFirst(frame);
    } else {
      waiting.add(frame);
    }
    waitingBytes += bytes(frame);
  }

  /**
   * Writes a frame; or, of a run relayed verbatim that would take the outbound buffer past the mark, its frames one
   * by one while the buffer is under it, so that the buffer passes the mark by one frame at most, as with decoded
   * frames. Returns the rest of the run, not written, or null.
   */
  private Object writeUnderMark(Object frame) {
    flushPending = true;
    if (!(frame instanceof ByteBuf) || ((ByteBuf) frame).readableBytes() <= channel.bytesBeforeUnwritable()) {
      channel.write(frame, channel.voidPromise());
      return null;
    }
    ByteBuf run = (ByteBuf) frame;
    int at = run.readerIndex();
    int end = run.writerIndex();
    while (at < end && channel.isWritable()) {
      int length = WireFrames.headerLength(run, at) + WireFrames.payloadLength(run, at);
      channel.write(run.retainedSlice(at, length), channel.voidPromise());
      at += length;
    }
    ByteBuf rest = at < end ? run.retainedSlice(at, end - at) : null;
    run.release();
    return rest;
  }

  /** Writes what waits: while the outbound buffer is under the mark, or all of it (before a close frame). */
  void writeWaiting(boolean all) {
    if (nothingWaits()) {
      return;
    }
    Object f;
    while ((all || channel.isWritable()) && (f = waiting.poll()) != null) {
      waitingBytes -= bytes(f);
      if (all) {
        channel.write(f, channel.voidPromise());
        flushPending = true;
      } else {
        Object rest = writeUnderMark(f);
        if (rest != null) {
          enqueue(rest, true);
          return;
        }
      }
    }
  }

  /** Drops what waits, for a peer that will never read it. */
  void discardWaiting() {
    if (waiting != null) {
      for (Object f; (f = waiting.poll()) != null; ) {
        ReferenceCountUtil.release(f);
      }
      waitingBytes = 0;
    }
  }

  /** A frame's bytes as {@link #waitingBytes} counts them. */
  private static int bytes(Object frame) {
    return frame instanceof WebSocketFrame ? ((WebSocketFrame) frame).content().readableBytes()
        : ((ByteBuf) frame).readableBytes();
  }

  /** Flushes what was written in this read batch. */
  void flushIfPending() {
    if (flushPending) {
      flushPending = false;
      channel.flush();
    }
  }

  /** What was written is flushed by a write of its own (a close frame). */
  void flushed() {
    flushPending = false;
  }

  /** The leg now, for the admin endpoints. Any thread. */
  Session.LegStatus status() {
    HeartbeatHandler hb = heartbeat;
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer(); // its counter is volatile; null once closed
    long queued = buffer == null ? 0 : buffer.totalPendingWriteBytes();
    if (hb == null) {
      return new Session.LegStatus(queued, waitingBytes, -1, -1, 0, 0);
    }
    long silence = channel.eventLoop().ticker().nanoTime() - hb.lastInboundNanos();
    return new Session.LegStatus(queued, waitingBytes, silence, hb.lastRttNanos(), hb.pingsSent(),
        hb.pongsReceived());
  }
}
