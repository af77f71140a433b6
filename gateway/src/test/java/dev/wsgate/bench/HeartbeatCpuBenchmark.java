package dev.wsgate.bench;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.resources.LoopResources;

/**
 * The CPU that wsgate's heartbeats cost: {@code --sessions} idle sessions through a wsgate process, pinged on both
 * legs every {@code --interval-ms} with a timeout of three intervals (the 1 s and 3 s by default), against the
 * same sessions with the heartbeat off. It prints the evictions (there should be none: every peer is alive) and how
 * sessions ended, from wsgate's {@code /metrics}.
 *
 * <pre>
 * mvn -q -pl gateway -am package -DskipTests
 * mvn -q -pl gateway test-compile exec:exec@heartbeat-bench [-Dbench.args="--sessions 9000 --seconds 60"]
 * </pre>
 * wsgate runs as its own process ({@code target/wsgate.jar}), so its CPU time is read from {@code /proc/PID/stat};
 * this JVM holds the clients and the upstream (Reactor Netty, which answer pings themselves), one socket each per
 * session, under the per-process limit of open files. Clients send nothing: every frame on the wire is a heartbeat.
 * {@code --classes N} shows the N classes that grew most. {@code -Dwsgate.jvmArgs="..."} adds JVM options to the
 * wsgate process ({@code {mode}} becomes on or off), for example a JFR recording to profile it.
 *
 * <p>Compression (permessage-deflate): {@code --compress 1} has the clients offer it and the upstream refuse it, so
 * that wsgate compresses and inflates the client leg itself; {@code --compress 2} has both accept it, so that wsgate
 * passes the frames through compressed. {@code --messages N} has each client send N JSON messages, echoed, before it
 * goes idle (zlib state is made by the first message, not by the handshake); {@code --context-takeover 1} sets the
 * route's {@code compression.context-takeover}. The wsgate process's resident memory per session is printed too:
 * the JDK's zlib lives outside the Java heap.
 *
 * <p>{@code --transports epoll,io_uring} (default {@code auto}) measures each transport ({@code server.transport}) in
 * turn, heartbeat off then on, in one run: the only fair comparison on a shared machine.
 */
public final class HeartbeatCpuBenchmark {

  private static final int HANDSHAKES_IN_FLIGHT = 64;

  public static void main(String[] args) throws Exception {
    List<String> transports = List.of("auto");
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--transports") && i + 1 < args.length) {
        transports = List.of(args[++i].split(","));
      } else {
        rest.add(args[i]);
      }
    }
    Map<String, Integer> o = parse(rest.toArray(String[]::new));
    int sessions = o.get("--sessions");
    int seconds = o.get("--seconds");
    int intervalMs = o.get("--interval-ms");
    Compression compression = new Compression(o.get("--compress"), o.get("--messages"),
        o.get("--context-takeover") != 0);
    LoopResources loops = LoopResources.create("bench", 1, 2, true);
    DisposableServer upstream = HttpServer.create().runOn(loops).host("127.0.0.1").port(0)
        .handle((req, res) -> res.sendWebsocket((in, out) -> out.sendString(in.receiveFrames()
            .filter(TextWebSocketFrame.class::isInstance).map(f -> ((TextWebSocketFrame) f).text())),
            WebsocketServerSpec.builder().compress(compression.mode() == 2).build()))
        .bindNow();
    System.out.printf(Locale.ROOT, "heartbeat CPU benchmark: %d idle sessions, %d s warm-up, %d s measured, %d cores,"
        + " Java %s; %s%n", sessions, o.get("--warmup"), seconds, Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), compression);
    for (String transport : transports) {
      List<Run> runs = new ArrayList<>();
      for (boolean heartbeat : new boolean[] {false, true}) {
        runs.add(run(heartbeat, sessions, seconds, o.get("--warmup"), intervalMs, upstream, loops, compression,
            transport));
      }
      System.out.printf(Locale.ROOT, "transport %s: wsgate process CPU while holding the sessions (100%% = one"
          + " core):%n", transport);
      runs.forEach(r -> System.out.println(r.line()));
      Run off = runs.get(0);
      Run on = runs.get(1);
      double pingsPerSecond = 2.0 * on.open() * 1000 / intervalMs;
      double cpuPerPing = (on.cpuPercent() - off.cpuPercent()) / 100 / pingsPerSecond * 1e6;
      System.out.printf(Locale.ROOT, "CPU per ping and pong, transport %s: %.1f us (heartbeat on minus off, %.0f"
          + " pings/s)%n", transport, cpuPerPing, pingsPerSecond);
      for (Run r : runs) {
        System.out.printf(Locale.ROOT, "live heap per session, %s: %.2f KiB (%d sessions, after a full GC); "
            + "resident memory per session: %.2f KiB%n", r.heartbeat() ? "heartbeat on" : "heartbeat off",
            r.heapPerSession() / 1024, r.open(), r.rssPerSession() / 1024);
      }
      System.out.println("what a session holds (heartbeat on):");
      on.after().printGrowth(on.before(), on.open(), o.get("--classes"));
    }
    upstream.disposeNow();
    loops.disposeLater().block(Duration.ofSeconds(5));
  }

  /** One wsgate process's figures. */
  private record Run(boolean heartbeat, String line, int open, double cpuPercent, double heapPerSession,
      double rssPerSession, HeapHistogram before, HeapHistogram after) {
  }

  /**
   * permessage-deflate in the run.
   *
   * @param mode     0: none; 1: the clients offer it, the upstream refuses it (wsgate compresses the client leg);
   *                 2: both accept it (wsgate passes compressed frames through)
   * @param messages JSON messages each client sends, echoed, before it goes idle
   */
  private record Compression(int mode, int messages, boolean contextTakeover) {
    static final String JSON = "{\"type\":\"quote\",\"symbol\":\"WSGT\",\"bid\":101.25,\"ask\":101.5,\"book\":["
        + "{\"price\":101,\"size\":100},".repeat(20) + "{}]}";

    @Override
    public String toString() {
      return (mode == 0 ? "no compression" : mode == 1 ? "compression on the client leg only (wsgate inflates and "
          + "deflates)" : "compression on both legs (passed through)") + ", " + messages + " messages a session"
          + (mode == 1 ? ", context-takeover " + contextTakeover : "");
    }
  }

  /** The resident memory of a process, in bytes ({@code VmRSS} of /proc/PID/status). */
  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return 0;
  }

  private static Run run(boolean heartbeat, int sessions, int seconds, int warmup, int intervalMs,
      DisposableServer upstream, LoopResources loops, Compression compression, String transport) throws Exception {
    int port = WsgateProcess.freePort();
    int admin = WsgateProcess.freePort();
    String hb = heartbeat
        ? "heartbeat:\n  interval: " + intervalMs + "ms\n  timeout: " + (3 * intervalMs) + "ms\n"
            + "intermediaries:\n  idle-timeout: " + (4 * intervalMs) + "ms\n"
        : "heartbeat:\n  interval: 0\nintermediaries:\n  idle-timeout: 0\n";
    Path config = Files.createTempFile("wsgate-bench", ".yaml");
    Files.writeString(config, "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:" + admin + "\n"
        + "  transport: " + transport + "\n  max-connections: " + (sessions + 100) + "\n" + hb + "routes:\n  - path: /\n    upstreams: [\"ws://127.0.0.1:"
        + ((InetSocketAddress) upstream.address()).getPort() + "\"]\n"
        + "    compression:\n      context-takeover: " + compression.contextTakeover() + "\n");
    List<String> command = new ArrayList<>(List.of("java", "-Xms256m", "-Xmx1g"));
    String extra = System.getProperty("wsgate.jvmArgs", "").strip(); // e.g. a JFR recording, for profiling
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.replace("{mode}", heartbeat ? "on" : "off").split("\\s+")));
    }
    command.addAll(List.of("-jar", WsgateProcess.jar().toString(), "--config", config.toString()));
    Process wsgate = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      awaitLine(wsgate, "started", Duration.ofSeconds(60));
      HeapHistogram before = HeapHistogram.of(wsgate.pid());
      long rssBefore = rss(wsgate.pid());
      AtomicInteger open = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      Map<String, Integer> failures = new java.util.concurrent.ConcurrentHashMap<>();
      CountDownLatch connected = new CountDownLatch(sessions);
      HttpClient.WebsocketSender client = HttpClient.newConnection().runOn(loops)
          .websocket(WebsocketClientSpec.builder().compress(compression.mode() != 0).build())
          .uri("ws://127.0.0.1:" + port + "/");
      // At most HANDSHAKES_IN_FLIGHT handshakes at a time: the sessions already open are pinged every interval
      // meanwhile, and this JVM, which answers those pings, must not be swamped by the ramp-up.
      Semaphore inFlight = new Semaphore(HANDSHAKES_IN_FLIGHT);
      for (int i = 0; i < sessions; i++) {
        if (!inFlight.tryAcquire(2, TimeUnit.MINUTES)) {
          throw new IllegalStateException("handshakes stalled at " + open.get() + " sessions");
        }
        client.handle((in, out) -> {
          AtomicInteger echoes = new AtomicInteger();
          Mono<Void> send = out.sendString(Flux.range(0, compression.messages()).map(n -> Compression.JSON)).then();
          Mono<Void> receive = in.receiveFrames().filter(TextWebSocketFrame.class::isInstance).doOnNext(f -> {
            if (echoes.incrementAndGet() == compression.messages()) {
              open.incrementAndGet();
              inFlight.release();
              connected.countDown();
            }
          }).then();
          if (compression.messages() == 0) {
            open.incrementAndGet();
            inFlight.release();
            connected.countDown();
          }
          return Mono.when(send, receive).then(Mono.never());
        }).subscribe(null, e -> {
          failed.incrementAndGet();
          failures.merge(String.valueOf(e), 1, Integer::sum);
          inFlight.release();
          connected.countDown();
        });
      }
      if (!connected.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("not all sessions connected: " + open.get());
      }
      TimeUnit.SECONDS.sleep(warmup); // the handshakes' work, and the JIT compiler's, out of the figures
      long evictedBefore = (long) AdminMetrics.scrape(admin).sum("wsgate_evictions_total");
      long pid = wsgate.pid();
      long[] cpu0 = cpuTicks(pid);
      long t0 = System.nanoTime();
      TimeUnit.SECONDS.sleep(seconds);
      long[] cpu1 = cpuTicks(pid);
      double wall = (System.nanoTime() - t0) / 1e9;
      double user = (cpu1[0] - cpu0[0]) / wall; // USER_HZ = 100: ticks per second are percent of one core
      double system = (cpu1[1] - cpu0[1]) / wall;
      String what = heartbeat ? "heartbeat " + intervalMs + " ms / " + (3 * intervalMs) + " ms, both legs"
          : "heartbeat off";
      AdminMetrics metrics = AdminMetrics.scrape(admin);
      String ended = metrics.by("wsgate_sessions_ended_by_reason_total", "reason").toString();
      long evicted = (long) metrics.sum("wsgate_evictions_total");
      String live = String.format(Locale.ROOT, "; %d live at the end, %d evictions (%d while measured), sessions ended:"
          + " %s", (long) metrics.sum("wsgate_sessions_live"), evicted, evicted - evictedBefore, ended);
      HeapHistogram after = HeapHistogram.of(pid);
      double rssPerSession = (double) (rss(pid) - rssBefore) / Math.max(1, open.get());
      double heapPerSession = (double) (after.totalBytes() - before.totalBytes()) / Math.max(1, open.get());
      String line = String.format(Locale.ROOT, "  %-38s %5d sessions (%d failed): %6.2f%% CPU (user %.2f%%, system %.2f%%)"
          + ", %s%s%s", what, open.get(), failed.get(), user + system, user, system, heartbeat
          ? String.format(Locale.ROOT, "about %d pings/s", (long) (2L * open.get() * 1000 / intervalMs))
          : "no pings", live, failures.isEmpty() ? "" : "; failures: " + failures);
      return new Run(heartbeat, line, open.get(), user + system, heapPerSession, rssPerSession, before, after);
    } finally {
      wsgate.destroy();
      wsgate.waitFor(30, TimeUnit.SECONDS);
      Files.deleteIfExists(config);
    }
  }

  /** User and system CPU time of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
  private static long[] cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
  }

  private static void awaitLine(Process p, String text, Duration timeout) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CountDownLatch seen = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      try {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.contains(text)) {
            seen.countDown();
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
    });
    t.setDaemon(true);
    t.start();
    if (!seen.await(timeout.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException("wsgate did not start within " + timeout);
    }
  }

  private static Map<String, Integer> parse(String[] args) {
    Map<String, Integer> v = new HashMap<>(Map.of("--sessions", 9000, "--seconds", 60, "--interval-ms", 1000,
        "--warmup", 20, "--classes", 30, "--compress", 0, "--messages", 0, "--context-takeover", 0));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!v.containsKey(args[i])) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + v.keySet());
      }
      v.put(args[i], Integer.parseInt(args[i + 1]));
    }
    return v;
  }
}
