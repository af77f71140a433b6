package dev.wsgate.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load of {@link ProxyComparison}, a process of its own on one Netty epoll event loop, driven by commands on
 * stdin (answers on stdout, prefixed {@code @@}; the end of stdin ends it):
 * <ul>
 *   <li>{@code echo HOST:PORT N W S}: opens N WebSocket connections; each keeps W binary messages of S bytes in
 *       flight (the send time in the first 8 bytes), sending one more per echo. Answers {@code @@ECHO open=...
 *       failed=...} once every handshake has ended.</li>
 *   <li>{@code reset}: counts from now ({@code @@RESET}); {@code stats}: echoes and round-trip times since then
 *       ({@code @@STATS echoed= nanos= rtt=}).</li>
 *   <li>{@code stop}: stops sending and closes the echo connections (close handshake, cut after 5 s); answers
 *       {@code @@STOPPED} when all are closed.</li>
 *   <li>{@code idle HOST:PORT K RATE}: opens K sessions that send nothing (pings are answered), at most RATE a second
 *       and 200 at once, from the {@code --sources} addresses in turn; answers {@code @@IDLE open= failed=} once
 *       every handshake has ended, and holds them until {@code quit}.</li>
 * </ul>
 * <pre>java -cp TEST_CLASSPATH dev.wsgate.bench.CompareClients --sources 127.0.0.2,127.0.0.3</pre>
 */
final class CompareClients {

  private static final int MAX_OPENING = 200;
  private static final int TICKS_PER_SECOND = 10;
  private static final Pattern HTTP_STATUS = Pattern.compile("\\b([1-5]\\d\\d)\\b");

  private final EventLoop loop;
  private final List<InetSocketAddress> sources = new ArrayList<>();
  private int nextSource;

  // echo connections
  private final List<Channel> echoChannels = new ArrayList<>();
  private int echoWanted;
  private int echoOpen;
  private int echoFailed;
  private int window;
  private int size;
  private boolean sending;
  private long echoed;
  private long resetAt = System.nanoTime();
  private MicrosHistogram rtt = new MicrosHistogram();
  private long lostLive;

  // idle sessions
  private final List<Channel> idleChannels = new ArrayList<>();
  private int idleWanted;
  private int idleStarted;
  private int idleOpening;
  private int idleOpen;
  private int idleFailed;
  private int idlePerTick;
  private long idleStartNanos;
  private boolean idleAnswered = true;
  private ScheduledFuture<?> idleTicker;

  private final Map<String, Long> failures = new TreeMap<>();

  private CompareClients(EventLoop loop, String sourceList) {
    this.loop = loop;
    for (String s : sourceList.split(",")) {
      sources.add(new InetSocketAddress(s.strip(), 0));
    }
  }

  public static void main(String[] args) throws Exception {
    String sourceList = "127.0.0.1";
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--sources")) {
        sourceList = args[i + 1];
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      CompareClients load = new CompareClients(group.next(), sourceList);
      answer("@@READY sources=" + sourceList);
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        String[] w = line.strip().split("\\s+");
        switch (w[0]) {
          case "echo" -> load.loop.execute(() -> load.echo(w[1], Integer.parseInt(w[2]), Integer.parseInt(w[3]),
              Integer.parseInt(w[4])));
          case "reset" -> load.loop.execute(load::reset);
          case "stats" -> load.loop.execute(load::stats);
          case "stop" -> load.loop.execute(load::stop);
          case "idle" -> load.loop.execute(() -> load.idle(w[1], Integer.parseInt(w[2]), Integer.parseInt(w[3])));
          case "quit" -> {
            load.loop.submit(load::closeAll).get(20, TimeUnit.SECONDS).await(15, TimeUnit.SECONDS);
            return;
          }
          default -> System.err.println("unknown command: " + line);
        }
      }
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  private static void answer(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private Bootstrap bootstrap(String target, ChannelInboundHandlerAdapter session) {
    WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
        .webSocketUri("ws://" + target + "/compare").maxFramePayloadLength(1 << 20)
        .handshakeTimeoutMillis(15_000).forceCloseTimeoutMillis(5_000).generateOriginHeader(false).build();
    return new Bootstrap().group(loop).channel(EpollSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                new WebSocketClientProtocolHandler(ws), session);
          }
        });
  }

  private static InetSocketAddress address(String target) {
    String[] hostPort = target.split(":");
    return new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
  }

  // ---- echo

  private void echo(String target, int connections, int window, int size) {
    echoChannels.clear();
    failures.clear();
    echoWanted = connections;
    echoOpen = 0;
    echoFailed = 0;
    lostLive = 0;
    this.window = window;
    this.size = Math.max(8, size);
    sending = true;
    InetSocketAddress remote = address(target);
    for (int i = 0; i < connections; i++) {
      Session s = new Session(true);
      Channel ch = bootstrap(target, s).connect(remote, sources.get(0)).addListener(f -> {
        if (!f.isSuccess()) {
          s.failed(f.cause());
        }
      }).channel();
      echoChannels.add(ch);
    }
  }

  private void echoEnded() {
    if (echoOpen + echoFailed == echoWanted) {
      answer(new StatsLine().put("open", echoOpen).put("failed", echoFailed).putTally("failures", failures)
          .format().replace(StatsLine.PREFIX, "@@ECHO "));
    }
  }

  private void reset() {
    echoed = 0;
    rtt = new MicrosHistogram();
    resetAt = System.nanoTime();
    answer("@@RESET");
  }

  private void stats() {
    answer(new StatsLine().put("echoed", echoed).put("nanos", System.nanoTime() - resetAt)
        .put("open", echoOpen).put("lost", lostLive).put("idle_open", idleOpen).put("rtt", rtt.encode()).format());
  }

  private void stop() {
    sending = false;
    List<Channel> all = new ArrayList<>(echoChannels);
    int[] left = {all.size()};
    if (all.isEmpty()) {
      answer("@@STOPPED closed=0");
      return;
    }
    for (Channel ch : all) {
      ch.close(); // the protocol handler sends a close frame first and cuts after its force-close timeout
      ch.closeFuture().addListener(f -> loop.execute(() -> {
        if (--left[0] == 0) {
          answer("@@STOPPED closed=" + all.size());
        }
      }));
    }
  }

  // ---- idle

  private void idle(String target, int sessions, int perSecond) {
    failures.clear();
    idleWanted = sessions;
    idleStarted = 0;
    idleOpen = 0;
    idleFailed = 0;
    idleOpening = 0;
    idleAnswered = false;
    idleStartNanos = System.nanoTime();
    idlePerTick = Math.max(1, perSecond / TICKS_PER_SECOND);
    InetSocketAddress remote = address(target);
    idleTicker = loop.scheduleAtFixedRate(() -> idleTick(target, remote), 0, 1000 / TICKS_PER_SECOND,
        TimeUnit.MILLISECONDS);
  }

  private void idleTick(String target, InetSocketAddress remote) {
    int budget = idlePerTick;
    while (budget-- > 0 && idleStarted < idleWanted && idleOpening < MAX_OPENING) {
      idleStarted++;
      idleOpening++;
      Session s = new Session(false);
      InetSocketAddress source = sources.get(nextSource++ % sources.size());
      idleChannels.add(bootstrap(target, s).connect(remote, source).addListener(f -> {
        if (!f.isSuccess()) {
          s.failed(f.cause());
        }
      }).channel());
    }
    if (idleStarted == idleWanted) {
      idleTicker.cancel(false);
    }
  }

  private void idleEnded() {
    if (!idleAnswered && idleOpen + idleFailed == idleWanted) {
      idleAnswered = true;
      answer(new StatsLine().put("open", idleOpen).put("failed", idleFailed).putTally("failures", failures)
          .put("seconds", String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - idleStartNanos) / 1e9))
          .format().replace(StatsLine.PREFIX, "@@IDLE "));
    }
  }

  /** Closes every connection (close handshakes); the future ends when the last has closed. */
  private io.netty.util.concurrent.Future<?> closeAll() {
    sending = false;
    if (idleTicker != null) {
      idleTicker.cancel(false);
    }
    List<Channel> all = new ArrayList<>(echoChannels);
    all.addAll(idleChannels);
    io.netty.util.concurrent.Promise<Void> done = loop.newPromise();
    int[] left = {all.size()};
    if (all.isEmpty()) {
      return done.setSuccess(null);
    }
    for (Channel ch : all) {
      ch.close();
      ch.closeFuture().addListener(f -> loop.execute(() -> {
        if (--left[0] == 0) {
          done.trySuccess(null);
        }
      }));
    }
    return done;
  }

  private void failed(boolean echo, String why) {
    failures.merge(why, 1L, Long::sum);
    if (echo) {
      echoFailed++;
      echoEnded();
    } else {
      idleOpening--;
      idleFailed++;
      idleEnded();
    }
  }

  /** One connection, echo or idle, from connect to close. */
  private final class Session extends ChannelInboundHandlerAdapter {

    private final boolean echo;
    private boolean opening = true;
    private boolean live;
    private String failure;

    Session(boolean echo) {
      this.echo = echo;
    }

    void failed(Throwable cause) {
      if (opening) {
        opening = false;
        CompareClients.this.failed(echo, describe(cause));
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE && opening) {
        opening = false;
        live = true;
        if (echo) {
          echoOpen++;
          for (int i = 0; i < window && sending; i++) {
            send(ctx);
          }
          ctx.flush();
          echoEnded();
        } else {
          idleOpening--;
          idleOpen++;
          idleEnded();
        }
      } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        failure = "handshake-timeout";
        ctx.close();
      }
      ctx.fireUserEventTriggered(evt);
    }

    private void send(ChannelHandlerContext ctx) {
      ByteBuf b = ctx.alloc().buffer(size);
      b.writeLong(System.nanoTime());
      b.writeZero(size - 8);
      ctx.write(new BinaryWebSocketFrame(b), ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof BinaryWebSocketFrame f && echo) {
        ByteBuf c = f.content();
        long sentAt = c.readableBytes() >= 8 ? c.getLong(c.readerIndex()) : System.nanoTime();
        f.release();
        echoed++;
        rtt.record((System.nanoTime() - sentAt) / 1000);
        if (sending && ctx.channel().isActive()) {
          send(ctx);
        }
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (opening && failure == null) {
        failure = describe(cause);
      }
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (opening) {
        opening = false;
        CompareClients.this.failed(echo, failure == null ? "closed-during-handshake" : failure);
      } else if (live) {
        live = false;
        if (echo) {
          if (sending) {
            lostLive++;
          }
        } else {
          idleOpen--;
        }
      }
      ctx.fireChannelInactive();
    }
  }

  private static String describe(Throwable cause) {
    if (cause instanceof WebSocketClientHandshakeException && cause.getMessage() != null) {
      Matcher m = HTTP_STATUS.matcher(cause.getMessage());
      if (m.find()) {
        return "http-" + m.group(1);
      }
    }
    return cause.getClass().getSimpleName();
  }
}
