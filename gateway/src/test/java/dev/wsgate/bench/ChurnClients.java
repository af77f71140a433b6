package dev.wsgate.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
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
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A load process of {@link ChurnSoak}: {@code --sessions} WebSocket clients through wsgate on one event loop, from
 * several source addresses. It keeps that many sessions live (opening new ones as others end, at most {@code --ramp}
 * a second), and while the churn is on ends {@code --churn} a second, the {@link Ending}s in turn.
 * <pre>
 * java -cp TEST_CLASSPATH dev.wsgate.bench.ChurnClients --target 127.0.0.1:PORT --sessions 4500 --churn 25
 *     --ramp 150 --sources 127.0.0.2,127.0.0.3 --slow-percent 5 --slow-kib-per-s 64 --message-every-s 30
 *     --seed 1 --first-ending 0
 * </pre>
 * Serves {@link LoadControl} commands on stdin. Its state is touched on the event loop only.
 */
final class ChurnClients implements LoadControl.Commands {

  private static final int TICKS_PER_SECOND = 10;
  private static final int THROTTLE_TICKS_PER_SECOND = 8;
  private static final int MAX_OPENING = 400;

  private final int target;
  private final double churnPerSecond;
  private final int opensPerTick;
  private final double slowPercent;
  private final int slowChunkBytes;
  /**
   * A slow reader's socket receive buffer, as set (the kernel doubles it): half a second of its reading. A live client
   * is then never more than about a second behind in its own kernel, within the soak's heartbeat timeout, as the
   * README asks of a deployment's timeout (wsgate cannot see what sits in a peer's own receive buffer); left to
   * auto-tuning, a reader at 64 KiB/s is about 5 s behind and a 3 s timeout rightly evicts it.
   */
  private final int slowReceiveBuffer;
  private final int messageEverySeconds;
  private final InetSocketAddress remote;
  private final List<InetSocketAddress> sources = new ArrayList<>();
  private final Random random;
  private final Bootstrap bootstrap;
  private final WebSocketClientProtocolConfig ws;

  private final List<ClientSession> live = new ArrayList<>();
  private final Set<ClientSession> throttled = new HashSet<>();
  private int opening;
  private int ending;
  private boolean churning;
  private double churnDebt;
  private int nextEnding;
  private int nextSource;
  private long opened;
  private long failed;
  private long unexpected;
  private long messagesOut;
  private long messagesIn;
  private long floodBytesIn;
  private long messageSeq;
  private final Map<String, Long> failures = new TreeMap<>();
  private final Map<String, Long> unexpectedHow = new TreeMap<>();
  private final Map<String, Long> forced = new TreeMap<>();
  private final Map<Ending, Long> initiated = new EnumMap<>(Ending.class);
  private final LatencyHistogram upstreamSilentEvicted = new LatencyHistogram();

  private ChurnClients(Map<String, String> o, EventLoopGroup group) {
    target = Integer.parseInt(o.get("--sessions"));
    churnPerSecond = Double.parseDouble(o.get("--churn"));
    opensPerTick = Math.max(1, Integer.parseInt(o.get("--ramp")) / TICKS_PER_SECOND);
    slowPercent = Double.parseDouble(o.get("--slow-percent"));
    slowChunkBytes = Math.max(1024, Integer.parseInt(o.get("--slow-kib-per-s")) * 1024 / THROTTLE_TICKS_PER_SECOND);
    slowReceiveBuffer = Integer.parseInt(o.get("--slow-kib-per-s")) * 1024 / 2;
    messageEverySeconds = Math.max(1, Integer.parseInt(o.get("--message-every-s")));
    random = new Random(Long.parseLong(o.get("--seed")));
    nextEnding = Integer.parseInt(o.get("--first-ending"));
    String[] hostPort = o.get("--target").split(":");
    remote = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
    for (String s : o.get("--sources").split(",")) {
      sources.add(new InetSocketAddress(s.strip(), 0));
    }
    ws = WebSocketClientProtocolConfig.newBuilder()
        .webSocketUri("ws://" + o.get("--target") + "/soak")
        .handleCloseFrames(false).sendCloseFrame(null).dropPongFrames(true)
        .maxFramePayloadLength(1 << 20).handshakeTimeoutMillis(15_000).generateOriginHeader(false).build();
    bootstrap = new Bootstrap().group(group).channel(EpollSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>(Map.of("--target", "", "--sessions", "1000", "--churn", "0",
        "--ramp", "200", "--sources", "127.0.0.1", "--slow-percent", "0", "--slow-kib-per-s", "64",
        "--message-every-s", "30", "--seed", "1", "--first-ending", "0"));
    for (int i = 0; i < args.length; i += 2) {
      if (!o.containsKey(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("bad option " + args[i] + "; options: " + o.keySet());
      }
      o.put(args[i], args[i + 1]);
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      EventLoop loop = group.next();
      ChurnClients load = new ChurnClients(o, group);
      loop.scheduleAtFixedRate(load::tick, 0, 1000 / TICKS_PER_SECOND, TimeUnit.MILLISECONDS);
      loop.scheduleAtFixedRate(load::throttleTick, 0, 1000 / THROTTLE_TICKS_PER_SECOND, TimeUnit.MILLISECONDS);
      loop.scheduleAtFixedRate(load::messageTick, 1, 1, TimeUnit.SECONDS);
      System.out.println("@@READY sessions=" + load.target);
      System.out.flush();
      LoadControl.serve(loop, load);
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The source addresses of the client process numbered {@code index} (from 0) when each has {@code count} of its
   * own: 127.0.0.2 and up, so that no source address reaches one address and port through more than about 28,000
   * ephemeral ports.
   */
  static List<String> sourcesOf(int index, int count) {
    List<String> sources = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      sources.add("127.0.0." + (2 + index * count + k));
    }
    return sources;
  }

  private void tick() {
    int budget = opensPerTick;
    while (budget-- > 0 && live.size() + opening < target && opening < MAX_OPENING) {
      open();
    }
    if (!churning) {
      return;
    }
    churnDebt = Math.min(churnDebt + churnPerSecond / TICKS_PER_SECOND, churnPerSecond + 1);
    while (churnDebt >= 1 && !live.isEmpty()) {
      churnDebt -= 1;
      ClientSession s = live.get(random.nextInt(live.size()));
      removeLive(s);
      Ending how = Ending.values()[nextEnding++ % Ending.values().length];
      initiated.merge(how, 1L, Long::sum);
      ending++;
      s.end(how);
    }
  }

  private void open() {
    opening++;
    ClientSession s = new ClientSession(this, random.nextDouble() * 100 < slowPercent);
    InetSocketAddress source = sources.get(nextSource++ % sources.size());
    Bootstrap b = s.slowReader() ? bootstrap.clone().option(ChannelOption.SO_RCVBUF, slowReceiveBuffer)
        : bootstrap.clone();
    ChannelFuture f = b.handler(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
            new WebSocketClientProtocolHandler(ws), s);
      }
    }).connect(remote, source);
    f.addListener(done -> {
      if (!done.isSuccess()) {
        s.connectFailed(done.cause());
      }
    });
  }

  private void throttleTick() {
    for (ClientSession s : new ArrayList<>(throttled)) {
      s.throttleTick();
    }
  }

  private void messageTick() {
    double expected = (double) live.size() / messageEverySeconds;
    int n = (int) expected + (random.nextDouble() < expected - (int) expected ? 1 : 0);
    for (int i = 0; i < n && !live.isEmpty(); i++) {
      live.get(random.nextInt(live.size())).send("m " + (++messageSeq));
    }
  }

  private void removeLive(ClientSession s) {
    int i = s.index;
    if (i < 0) {
      return;
    }
    ClientSession last = live.remove(live.size() - 1);
    if (last != s) {
      live.set(i, last);
      last.index = i;
    }
    s.index = -1;
  }

  int slowChunkBytes() {
    return slowChunkBytes;
  }

  void becameLive(ClientSession s) {
    opening--;
    opened++;
    s.index = live.size();
    live.add(s);
  }

  void openFailed(ClientSession s, String why) {
    opening--;
    failed++;
    failures.merge(why, 1L, Long::sum);
  }

  /** wsgate or the upstream ended a live session nobody asked to end. */
  void endedUnexpectedly(ClientSession s, String how, boolean stillOpen) {
    removeLive(s);
    unexpected++;
    unexpectedHow.merge((s.slowReader() ? "slow:" : "") + how, 1L, Long::sum);
    if (stillOpen) {
      ending++;
    }
  }

  void ended(ClientSession s) {
    ending--;
  }

  void throttled(ClientSession s, boolean on) {
    if (on) {
      throttled.add(s);
    } else {
      throttled.remove(s);
    }
  }

  void upstreamSilentEvicted(long millis) {
    upstreamSilentEvicted.record(millis);
  }

  void forcedClose(Ending how) {
    forced.merge(how == null ? "unexpected" : how.name(), 1L, Long::sum);
  }

  void floodReceived(int bytes) {
    floodBytesIn += bytes;
  }

  void messageReceived() {
    messagesIn++;
  }

  void messageSent() {
    messagesOut++;
  }

  @Override
  public String stats() {
    StatsLine s = new StatsLine().put("live", live.size()).put("opening", opening).put("ending", ending)
        .put("opened", opened).put("failed", failed).put("slow_live", throttled.size())
        .put("unexpected", unexpected).put("messages_out", messagesOut).put("messages_in", messagesIn)
        .put("flood_bytes_in", floodBytesIn);
    for (Ending e : Ending.values()) {
      s.put("initiated_" + e.name(), initiated.getOrDefault(e, 0L));
    }
    return s.putTally("failures", failures).putTally("unexpected_how", unexpectedHow).putTally("forced", forced)
        .put("upstream_silent_evicted", upstreamSilentEvicted.encode()).format();
  }

  @Override
  public void churn(boolean on) {
    churning = on;
    churnDebt = 0;
  }
}
