package dev.wsgate.bench;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FixedRecvByteBufAllocator;

/**
 * A slow reader: first in its pipeline, it takes at most one chunk from the socket per {@link #tick()} and ignores the
 * reads the handlers behind it ask for, so the connection reads at chunk size times tick rate while its peer may send
 * faster (what is not read waits in the kernel, then in wsgate, then at the sender: backpressure).
 */
final class ReadThrottle extends ChannelDuplexHandler {

  static final String NAME = "soak.throttle";

  private ChannelHandlerContext ctx;

  private ReadThrottle() {}

  static ReadThrottle install(Channel ch, int chunkBytes) {
    ch.config().setAutoRead(false);
    FixedRecvByteBufAllocator chunks = new FixedRecvByteBufAllocator(chunkBytes);
    chunks.maxMessagesPerRead(1);
    ch.config().setRecvByteBufAllocator(chunks);
    ReadThrottle t = new ReadThrottle();
    ch.pipeline().addFirst(NAME, t);
    return t;
  }

  /** Back to reading as fast as the data comes. */
  static void remove(Channel ch) {
    if (ch.pipeline().get(NAME) != null) {
      ch.pipeline().remove(NAME);
      ch.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator());
      ch.config().setAutoRead(true);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Reads one chunk (called by the load's pacing task). */
  void tick() {
    if (ctx != null && !ctx.isRemoved() && ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    // the handlers behind ask for more as they please; this reader reads on its own schedule
  }
}
