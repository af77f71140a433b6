package dev.wsgate.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The echo upstream of {@link ProxyComparison}, a process of its own: WebSocket servers on {@code --ports} loopback
 * ports (one for each proxy and one for the direct path, so that no two paths share connection tuples), all on one
 * Netty epoll event loop ({@code --threads}). Every text or binary frame goes back as it came; Netty's protocol
 * handler answers pings and close frames. Prints {@code @@READY ports=A,B,C}, then serves {@link LoadControl}
 * commands ({@code stats}: sessions live, opened, frames echoed).
 */
final class CompareUpstream implements LoadControl.Commands {

  private long live;
  private long opened;
  private long echoed;

  public static void main(String[] args) throws Exception {
    int ports = 4;
    int threads = 1;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--ports" -> ports = Integer.parseInt(args[i + 1]);
        case "--threads" -> threads = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    CompareUpstream upstream = new CompareUpstream();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
    try {
      EventLoop control = group.next();
      WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder().websocketPath("/")
          .checkStartsWith(true).maxFramePayloadLength(1 << 20).handshakeTimeoutMillis(10_000).build();
      ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                  new WebSocketServerProtocolHandler(ws), new Echo(upstream, control));
            }
          });
      List<Integer> bound = new ArrayList<>();
      for (int i = 0; i < ports; i++) {
        Channel server = bootstrap.bind("127.0.0.1", 0).sync().channel();
        bound.add(((InetSocketAddress) server.localAddress()).getPort());
      }
      System.out.println("@@READY ports=" + bound.stream().map(String::valueOf).collect(Collectors.joining(",")));
      System.out.flush();
      LoadControl.serve(control, upstream);
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  /** Echoes data frames, flushing once per read burst; counts on the control loop when there are several. */
  private static final class Echo extends ChannelInboundHandlerAdapter {

    private final CompareUpstream upstream;
    private final EventLoop control;
    private long echoed;
    private boolean live;

    Echo(CompareUpstream upstream, EventLoop control) {
      this.upstream = upstream;
      this.control = control;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
        live = true;
        onControl(ctx, () -> {
          upstream.live++;
          upstream.opened++;
        });
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof BinaryWebSocketFrame || msg instanceof TextWebSocketFrame) {
        echoed++;
        ctx.write(msg, ctx.voidPromise());
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      if (echoed > 0) {
        long n = echoed;
        echoed = 0;
        onControl(ctx, () -> upstream.echoed += n);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (live) {
        live = false;
        onControl(ctx, () -> upstream.live--);
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private void onControl(ChannelHandlerContext ctx, Runnable r) {
      if (ctx.channel().eventLoop() == control) {
        r.run();
      } else {
        control.execute(r);
      }
    }
  }

  @Override
  public String stats() {
    return new StatsLine().put("live", live).put("opened", opened).put("echoed", echoed).format();
  }

  @Override
  public void churn(boolean on) {
    // nothing to churn
  }
}
