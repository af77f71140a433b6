package dev.wsgate.bench;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.demo.EchoUpstream;
import dev.wsgate.server.Gateway;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * wsgate and the clients run in this one JVM, each on one event loop of its own, so the figures compare the two
 * paths under the same conditions rather than measure a deployment. Each path runs twice, alternately.
 */
public final class EchoBenchmark {

  private record Options(int connections, int size, int window, int warmup, int seconds) {
  }

  /** One benchmark connection: what it counted while measuring, and its round-trip samples. */
  private static final class Conn {
    final long[] rttMicros = new long[100_000];
    int samples;
    long counted;
  }

  private record Result(String path, long messages, double seconds, long[] rttMicros) {
    double messagesPerSecond() {
      return messages / seconds;
    }
  }

  private static volatile boolean measuring;
  private static volatile boolean stopping;

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    LoopResources echoLoops = LoopResources.create("bench-echo", 1, 1, true);
    LoopResources clientLoops = LoopResources.create("bench-client", 1, 1, true);
    LoopResources gatewayLoops = LoopResources.create("wsgate", 1, 1, true);
    EchoUpstream echo = EchoUpstream.start(echoLoops);
    GatewayConfig config = ConfigLoader.withEnvironment(Map.of("ECHO", Integer.toString(echo.port()))).parse("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          max-frame-size: 16MiB
        routes:
          - path: /
            upstreams: ["ws://127.0.0.1:${ECHO}"]
        """, "bench.yaml", Path.of("").toAbsolutePath());
    Gateway gateway = Gateway.start(config, gatewayLoops, true);
    URI direct = URI.create("ws://127.0.0.1:" + echo.port() + "/");
    URI through = URI.create("ws://127.0.0.1:" + gateway.address().getPort() + "/");
    try {
      System.out.printf(Locale.ROOT, "echo benchmark: %d connections, %d-byte binary messages, window %d, %ds "
          + "warm-up, %ds measured; %d cores, Java %s%n", o.connections(), o.size(), o.window(), o.warmup(),
          o.seconds(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
      List<Result> results = new ArrayList<>();
      for (int round = 0; round < 2; round++) {
        results.add(run("direct", direct, o, clientLoops));
        results.add(run("wsgate", through, o, clientLoops));
      }
      System.out.printf(Locale.ROOT, "%-8s %12s %15s %10s %10s %10s%n", "path", "messages/s", "MiB/s each way",
          "rtt p50", "rtt p99", "rtt max");
      for (Result r : results) {
        long[] rtt = r.rttMicros();
        System.out.printf(Locale.ROOT, "%-8s %12.0f %15.1f %8dus %8dus %8dus%n", r.path(), r.messagesPerSecond(),
            r.messagesPerSecond() * o.size() / 1048576.0, percentile(rtt, 50), percentile(rtt, 99),
            rtt.length == 0 ? 0 : rtt[rtt.length - 1]);
      }
    } finally {
      gateway.close();
      echo.close();
      echoLoops.disposeLater().block(Duration.ofSeconds(5));
      clientLoops.disposeLater().block(Duration.ofSeconds(5));
    }
  }

  private static Result run(String path, URI uri, Options o, LoopResources loops) throws InterruptedException {
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
    TimeUnit.SECONDS.sleep(o.seconds());
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
    return new Result(path, messages, seconds, all);
  }

  private static long percentile(long[] sorted, int p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))];
  }

  private static Options parse(String[] args) {
    Map<String, Integer> v = new HashMap<>(Map.of("--connections", 50, "--size", 1024, "--window", 16,
        "--warmup", 3, "--seconds", 10));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!v.containsKey(args[i])) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + v.keySet());
      }
      v.put(args[i], Integer.parseInt(args[i + 1]));
    }
    return new Options(v.get("--connections"), v.get("--size"), v.get("--window"), v.get("--warmup"),
        v.get("--seconds"));
  }
}
