package dev.wsgate.heartbeat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * Whether a peer has taken some of what wsgate queued for it since the last look, from a mark of the channel's
 * outbound buffer: which message is at its head and how far it was written. Only a peer that reads makes room for
 * that, so a live peer behind a backlog (a slow reader) is not taken for a dead one; nothing is queued for an idle
 * peer, and nothing moves for a dead one. The WebSocket heartbeat ({@link HeartbeatHandler}) and the HTTP/2
 * connection's PING ({@code Http2Liveness}) both ask it; each keeps its last mark in a {@code long} field of its own.
 */
public final class OutboundProgress {

  /** The mark of a channel with nothing queued. */
  public static final long NOTHING_QUEUED = 0;

  private OutboundProgress() {
  }

  /**
   * The mark of {@code channel}'s outbound buffer now: the head message's identity hash (made odd, so that a head
   * never marks as {@link #NOTHING_QUEUED}) in the high half, the bytes of it written in the low half (a message is
   * at most 64 MiB); {@link #NOTHING_QUEUED} when nothing is queued. On the channel's event loop.
   */
  public static long mark(Channel channel) {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    Object head = buffer == null ? null : buffer.current();
    if (head == null) {
      return NOTHING_QUEUED;
    }
    return ((long) (System.identityHashCode(head) | 1) << 32) | (buffer.currentProgress() & 0xFFFF_FFFFL);
  }

  /** True when something was queued at the {@code last} look and the head has moved or been written further since. */
  public static boolean moved(long last, long now) {
    return last != NOTHING_QUEUED && now != last;
  }
}
