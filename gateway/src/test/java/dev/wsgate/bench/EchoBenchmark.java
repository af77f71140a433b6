package dev.wsgate.bench;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.Leg;
import dev.wsgate.config.Transport;
import dev.wsgate.demo.EchoUpstream;
import dev.wsgate.server.Gateway;
import dev.wsgate.server.TestLoops;
import dev.wsgate.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.LoopResources;

/**
 * Echo throughput and round-trip time, straight to an echo upstream and through wsgate, on this machine.
 *
 * <pre>
 * mvn -q -pl gateway -am install -DskipTests
 * mvn -q -pl gateway test-compile exec:exec@echo-bench [-Dbench.args="--connections 50 --size 1024"]
 * </pre>
 * Each connection keeps {@code --window} binary messages of {@code --size} bytes in flight and sends one more per
 * echo; after {@code --warmup} seconds, echoes are counted for {@code --seconds}. The echo upstream (Reactor Netty),
 * wsgate and the clients run in this one JVM, each on one event loop of its own, so the figures compare the paths
 * under the same conditions rather than measure a deployment.
 *
 * <p>One wsgate runs per transport of {@code --transports} (default: every one that loads here), with
 * {@code server.write-buffer-high-water-mark} at {@code --mark} bytes; the echo upstream and the clients stay on
 * {@code --peers} (default epoll, else nio), so that only wsgate's transport changes. Every path (direct, then each
 * wsgate) runs {@code --rounds} times, the order reversed every other round. A mark below what a connection keeps in
 * flight engages backpressure: wsgate stops reading a leg (auto-read off) whenever the other's outbound buffer is
 * past the mark, and reads again below half of it; the column "paused" is the share of samples (every leg of every
 * session, each millisecond) with an outbound buffer past the mark, that is with the other leg not being read.
 */
public final class EchoBenchmark {

  private record Options(int connections, int size, int window, int warmup, int seconds, int mark, int rounds,
      List<Transport> transports, Transport peers) {
  }

  /** One benchmark connection: what it counted while measuring, and its round-trip samples. */
  private static final class Conn {
    final long[] rttMicros = new long[100_000];
    int samples;
    long counted;
  }

  private record Result(String path, long messages, double seconds, long[] rttMicros, double paused) {
    double messagesPerSecond() {
      return messages / seconds;
    }
  }

  private static volatile boolean measuring;
  private static volatile boolean stopping;

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    LoopResources echoLoops = TestLoops.on("bench-echo", o.peers(), 1);
    LoopResources clientLoops = TestLoops.on("bench-client", o.peers(), 1);
    EchoUpstream echo = EchoUpstream.start(echoLoops);
    Map<String, Gateway> gateways = new LinkedHashMap<>();
    try {
      for (Transport t : o.transports()) {
        GatewayConfig config = ConfigLoader.withEnvironment(Map.of("ECHO", Integer.toString(echo.port()))).parse("""
            server:
              listen: 127.0.0.1:0
              admin: 127.0.0.1:0
              max-frame-size: 16MiB
              write-buffer-high-water-mark: %d
              transport: %s
            routes:
              - path: /
                upstreams: ["ws://127.0.0.1:${ECHO}"]
            """.formatted(o.mark(), t), "bench.yaml", Path.of("").toAbsolutePath());
        Gateway gateway = Gateway.start(config, TestLoops.on("wsgate", t, 1), true);
        gateways.put("wsgate/" + gateway.transport(), gateway);
      }
      URI direct = URI.create("ws://127.0.0.1:" + echo.port() + "/");
      System.out.printf(Locale.ROOT, "echo benchmark: %d connections, %d-byte binary messages, window %d, "
          + "high-water mark %d, %ds warm-up, %ds measured, %d rounds; wsgate on %s, peers on %s; %d cores, Java %s%n",
          o.connections(), o.size(), o.window(), o.mark(), o.warmup(), o.seconds(), o.rounds(), gateways.keySet(),
          o.peers(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
      List<String> paths = new ArrayList<>();
      paths.add("direct");
      paths.addAll(gateways.keySet());
      List<Result> results = new ArrayList<>();
      for (int round = 0; round < o.rounds(); round++) {
        List<String> order = new ArrayList<>(paths);
        if (round % 2 == 1) {
          Collections.reverse(order);
        }
        for (String path : order) {
          Gateway g = gateways.get(path);
          URI uri = g == null ? direct : URI.create("ws://127.0.0.1:" + g.address().getPort() + "/");
          results.add(run(path, uri, o, clientLoops, g));
        }
      }
      System.out.printf(Locale.ROOT, "%-16s %12s %15s %10s %10s %10s %8s%n", "path", "messages/s", "MiB/s each way",
          "rtt p50", "rtt p99", "rtt max", "paused");
      for (Result r : results) {
        long[] rtt = r.rttMicros();
        System.out.printf(Locale.ROOT, "%-16s %12.0f %15.1f %8dus %8dus %8dus %7.1f%%%n", r.path(),
            r.messagesPerSecond(), r.messagesPerSecond() * o.size() / 1048576.0, percentile(rtt, 50),
            percentile(rtt, 99), rtt.length == 0 ? 0 : rtt[rtt.length - 1], r.paused() * 100);
      }
    } finally {
      gateways.values().forEach(Gateway::close);
      echo.close();
      echoLoops.disposeLater().block(Duration.ofSeconds(5));
      clientLoops.disposeLater().block(Duration.ofSeconds(5));
    }
  }

  private static Result run(String path, URI uri, Options o, LoopResources loops, Gateway gateway)
      throws InterruptedException {
    measuring = false;
    stopping = false;
    List<Conn> conns = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(o.connections());
    HttpClient.WebsocketSender sender = HttpClient.newConnection().runOn(loops)
        .websocket(WebsocketClientSpec.builder().maxFramePayloadLength(Math.max(65_536, o.size())).build())
        .uri(uri);
    for (int c = 0; c < o.connections(); c++) {
      Conn conn = new Conn();
      conns.add(conn);
      sender.handle((in, out) -> {
        Sinks.Many<WebSocketFrame> sends = Sinks.many().unicast().onBackpressureBuffer();
        Runnable sendOne = () -> {
          ByteBuf b = ByteBufAllocator.DEFAULT.buffer(o.size());
          b.writeLong(System.nanoTime());
          b.writeZero(o.size() - 8);
          sends.tryEmitNext(new BinaryWebSocketFrame(b));
        };
        in.receiveFrames().subscribe(f -> {
          long sentAt = f.content().getLong(0);
          if (measuring) {
            conn.counted++;
            if (conn.samples < conn.rttMicros.length) {
              conn.rttMicros[conn.samples++] = (System.nanoTime() - sentAt) / 1000;
            }
          }
          if (stopping) {
            sends.tryEmitComplete();
          } else {
            sendOne.run();
          }
        });
        for (int i = 0; i < o.window(); i++) {
          sendOne.run();
        }
        return out.sendObject(sends.asFlux()).then(Mono.defer(() -> out.sendClose(1000, "done")));
      }).subscribe(null, e -> done.countDown(), done::countDown);
    }
    TimeUnit.SECONDS.sleep(o.warmup());
    long start = System.nanoTime();
    measuring = true;
    long[] paused = new long[2];
    long end = start + TimeUnit.SECONDS.toNanos(o.seconds());
    while (System.nanoTime() - end < 0) {
      if (gateway != null) {
        for (Session s : gateway.sessions().snapshot()) {
          for (Leg leg : Leg.values()) {
            paused[0] += s.queuedBytes(leg) > o.mark() ? 1 : 0;
            paused[1]++;
          }
        }
      }
      TimeUnit.MILLISECONDS.sleep(1);
    }
    measuring = false;
    double seconds = (System.nanoTime() - start) / 1e9;
    stopping = true;
    if (!done.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: some connections did not close within 30 s");
    }
    long messages = 0;
    int total = 0;
    for (Conn c : conns) {
      messages += c.counted;
      total += c.samples;
    }
    long[] all = new long[total];
    int k = 0;
    for (Conn c : conns) {
      System.arraycopy(c.rttMicros, 0, all, k, c.samples);
      k += c.samples;
    }
    Arrays.sort(all);
    return new Result(path, messages, seconds, all, paused[1] == 0 ? 0 : (double) paused[0] / paused[1]);
  }

  private static long percentile(long[] sorted, int p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))];
  }

  private static Options parse(String[] args) {
    Map<String, String> v = new HashMap<>(Map.of("--connections", "50", "--size", "1024", "--window", "16",
        "--warmup", "3", "--seconds", "10", "--mark", "65536", "--rounds", "2",
        "--transports", Arrays.stream(Transport.values()).filter(t -> t != Transport.AUTO && TestLoops.loads(t))
            .map(Transport::yamlName).collect(Collectors.joining(",")),
        "--peers", TestLoops.loads(Transport.EPOLL) ? "epoll" : "nio"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!v.containsKey(args[i])) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + v.keySet());
      }
      v.put(args[i], args[i + 1]);
    }
    List<Transport> transports = Arrays.stream(v.get("--transports").split(",")).map(EchoBenchmark::transport)
        .toList();
    return new Options(num(v, "--connections"), num(v, "--size"), num(v, "--window"), num(v, "--warmup"),
        num(v, "--seconds"), num(v, "--mark"), num(v, "--rounds"), transports, transport(v.get("--peers")));
  }

  private static int num(Map<String, String> v, String name) {
    return Integer.parseInt(v.get(name));
  }

  private static Transport transport(String name) {
    return Arrays.stream(Transport.values()).filter(t -> t.yamlName().equals(name.trim())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no transport " + name + "; transports: "
            + Arrays.toString(Transport.values())));
  }
}
