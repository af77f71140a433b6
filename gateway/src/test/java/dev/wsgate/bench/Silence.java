package dev.wsgate.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/**
 * Makes a peer die silently: first in its pipeline, it stops reading (its kernel still acknowledges, so no FIN and no
 * RST reach wsgate), drops whatever was read already and every later write, pongs included. Only a close of the
 * connection, by wsgate or by the soak's own clean-up, ends it.
 */
final class Silence extends ChannelDuplexHandler {

  static final String NAME = "soak.silence";

  private Silence() {}

  static void install(Channel ch) {
    ch.config().setAutoRead(false);
    if (ch.pipeline().get(NAME) == null) {
      ch.pipeline().addFirst(NAME, new Silence());
    }
  }

  /** Ends the connection with RST (SO_LINGER 0), as a reset peer or the clean-up of a silent one does. */
  static void reset(Channel ch) {
    if (ch.isOpen()) {
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
      ch.close();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // nothing goes on: the pipeline must not learn that anything was read
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    // the silent peer never asks for more
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ReferenceCountUtil.release(msg);
    promise.trySuccess();
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    // nothing was written
  }
}
