package dev.wsgate.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A load process of {@link ChurnSoak}: the upstreams, one WebSocket server on a loopback port, one event loop.
 * {@code java -cp TEST_CLASSPATH dev.wsgate.bench.ChurnUpstream --host 127.0.0.1 --flood-frame 4096}; prints
 * {@code @@READY port=N}, then serves {@link LoadControl} commands. What each connection does is
 * {@link UpstreamSession}'s; this class holds the process and its figures (touched on the event loop only).
 */
final class ChurnUpstream implements LoadControl.Commands {

  private final int floodFrameBytes;
  private final ByteBuf floodPayload;
  private long live;
  private long opened;
  private long floods;
  private long floodBytes;
  private long echoed;
  private final Map<Ending, Long> ended = new EnumMap<>(Ending.class);
  private final Map<String, Long> closesReceived = new TreeMap<>();
  private final Map<String, Long> errors = new TreeMap<>();
  private final LatencyHistogram clientSilentEvicted = new LatencyHistogram();

  private ChurnUpstream(int floodFrameBytes) {
    this.floodFrameBytes = floodFrameBytes;
    this.floodPayload = Unpooled.unreleasableBuffer(Unpooled.directBuffer(floodFrameBytes).writeZero(floodFrameBytes));
  }

  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int floodFrame = 4096;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--flood-frame" -> floodFrame = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    ChurnUpstream load = new ChurnUpstream(floodFrame);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      EventLoop loop = group.next();
      WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder().websocketPath("/")
          .checkStartsWith(true).handleCloseFrames(false).sendCloseFrame(null).maxFramePayloadLength(1 << 20)
          .handshakeTimeoutMillis(10_000).build();
      Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                  new WebSocketServerProtocolHandler(ws), new UpstreamSession(load));
            }
          })
          .bind(host, 0).sync().channel();
      System.out.println("@@READY port=" + ((InetSocketAddress) server.localAddress()).getPort());
      System.out.flush();
      LoadControl.serve(loop, load);
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  void sessionUp() {
    live++;
    opened++;
  }

  void sessionDown() {
    live--;
  }

  void floodStarted() {
    floods++;
  }

  ByteBuf floodPayload() {
    return floodPayload.duplicate();
  }

  int floodFrameBytes() {
    return floodFrameBytes;
  }

  void flooded(long bytes) {
    floodBytes += bytes;
  }

  void echoed() {
    echoed++;
  }

  void ended(Ending ending) {
    ended.merge(ending, 1L, Long::sum);
  }

  void clientSilentEvicted(long millis) {
    clientSilentEvicted.record(millis);
  }

  void closeReceived(int code) {
    closesReceived.merge(code < 0 ? "none" : String.valueOf(code), 1L, Long::sum);
  }

  void error(Throwable cause) {
    errors.merge(cause.getClass().getSimpleName(), 1L, Long::sum);
  }

  @Override
  public String stats() {
    StatsLine s = new StatsLine().put("live", live).put("opened", opened).put("floods", floods)
        .put("flood_bytes", floodBytes).put("echoed", echoed);
    for (Ending e : Ending.values()) {
      if (e.byUpstream()) {
        s.put("ended_" + e.name(), ended.getOrDefault(e, 0L));
      }
    }
    return s.putTally("closes_received", closesReceived).putTally("errors", errors)
        .put("client_silent_evicted", clientSilentEvicted.encode()).format();
  }

  @Override
  public void churn(boolean on) {
    // the clients drive the churn; an upstream acts on what they ask for
  }
}
