package dev.wsgate.bench;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * What a TLS session costs wsgate, by TLS engine: {@code --sessions} idle {@code wss://} sessions (default 3,000)
 * through a wsgate process with the JDK's engine and with OpenSSL (BoringSSL), and the same number of plain
 * {@code ws://} sessions for reference, in turns within one run; then new sessions a second, one at a time and
 * {@code --concurrency} at a time. Prints figures; not a test.
 *
 * <pre>
 * mvn -q -pl gateway-config,gateway -am package -DskipTests
 * mvn -q -pl gateway exec:exec@tls-bench [-Dbench.args="--sessions 3000 --rounds 2 --cert rsa"]
 * </pre>
 * Each mode runs in a wsgate process of its own ({@code target/wsgate.jar}; {@code -Dwsgate.tls.engine=jdk|openssl}
 * forces the engine, and its start-up line is checked to say so), heartbeat off, so that nothing but the sessions'
 * state is measured. This JVM holds the clients (Netty's OpenSSL client engine, session resumption off, so that
 * every handshake is a full one; each sends the server name, {@code localhost}, as browsers do, which the JDK's
 * engine keeps about 5 KiB more for) and the echo upstream (plain {@code ws://}: only the client leg differs).
 *
 * <p>Per mode: after a warm-up (sessions opened and closed, so that the JIT compiler's work and Netty's pools are
 * in the baseline), the live heap after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}), the process's
 * resident memory ({@code VmRSS}) and Netty's direct memory ({@code /metrics}); again with the sessions open and
 * idle; again with as many more open (what one more session costs, without the one-time costs the first ones
 * bring: code compiled, the GC's own tables grown); again after they have all closed (what outlives them: session
 * caches, memory the allocators keep). The heap is pre-touched ({@code -Xms} = {@code -Xmx},
 * {@code -XX:+AlwaysPreTouch}), so that the resident memory's growth is what is held outside the Java heap
 * (BoringSSL's own allocations, direct buffers), not the heap's first use of its pages; {@code --pretouch false}
 * measures it the other way. Then for {@code --seconds} each: sessions opened and at once closed again, one at a
 * time, then {@code --concurrency} at a time (after a third as long to warm up), with wsgate's CPU time for each
 * (from {@code /proc}). Last, the TLS state alone, without sockets or Netty's pipeline:
 * {@link dev.wsgate.server.TlsEngineFootprint}.
 *
 * <p>Other options: {@code --warmup 300} sessions, {@code --heap-mb 512}, {@code --modes plain,jdk,openssl},
 * {@code --histogram true} (wsgate's class histogram with the sessions open, to a file).
 * {@code -Dwsgate.jvmArgs="..."} adds JVM options to wsgate. Output of each wsgate: {@code target/tls-bench/}.
 */
public final class TlsSessionBenchmark {

  private static final double KIB = 1024.0;
  private static final int OPENING_IN_FLIGHT = 64;

  enum Mode {
    PLAIN("ws:// (plain)", null), JDK("wss:// JDK", "jdk"), OPENSSL("wss:// OpenSSL", "openssl");

    final String label;
    final String engine;

    Mode(String label, String engine) {
      this.label = label;
      this.engine = engine;
    }
  }

  /** wsgate's memory at one moment, in bytes: live heap after a full GC, resident, Netty's direct memory. */
  record Memory(long heap, long rss, long direct) {
  }

  /**
   * One mode, one round: memory at the baseline, with {@code sessions} open, with twice as many, and after all
   * closed; rates in sessions a second; CPU in ms of wsgate's CPU a session.
   */
  record Result(Mode mode, int round, int sessions, Memory base, Memory first, Memory second, Memory after,
      double seqRate, double seqCpuMs, double concRate, double concCpuMs, int failures, int resumed, String load) {

    /** What each of the first sessions added to the baseline, one-time costs of the first sessions included. */
    double perSession(java.util.function.ToLongFunction<Memory> figure) {
      return (figure.applyAsLong(first) - figure.applyAsLong(base)) / (double) sessions;
    }

    /** What each of the next sessions added: the cost of one more session. */
    double perNextSession(java.util.function.ToLongFunction<Memory> figure) {
      return (figure.applyAsLong(second) - figure.applyAsLong(first)) / (double) sessions;
    }
  }

  private final Map<String, String> o;
  private final Path dir;
  private final LoopResources loops;
  private final SslContext clientTls;
  private final int upstreamPort;
  private final Path cert;
  private final Path key;
  private final Method sessionReused;

  private TlsSessionBenchmark(Map<String, String> o, Path dir, LoopResources loops, SslContext clientTls,
      int upstreamPort, Path cert, Path key) {
    this.o = o;
    this.dir = dir;
    this.loops = loops;
    this.clientTls = clientTls;
    this.upstreamPort = upstreamPort;
    this.cert = cert;
    this.key = key;
    this.sessionReused = reusedMethod();
  }

  public static void main(String[] args) throws Exception {
    // Before Netty's OpenSSL classes load: no client session cache, so no resumed (cheap) handshake.
    System.setProperty("io.netty.handler.ssl.openssl.sessionCacheClient", "false");
    System.setProperty("jdk.tls.client.enableSessionTicketExtension", "false");
    Map<String, String> o = parse(args);
    Path dir = Files.createDirectories(WsgateProcess.jar().getParent().resolve("tls-bench"));
    Path cert = resource("/tls/" + o.get("--cert") + "-cert.pem");
    Path key = resource("/tls/" + o.get("--cert") + "-key.pem");
    LoopResources loops = LoopResources.create("bench", 1, 2, true);
    DisposableServer upstream = HttpServer.create().runOn(loops).host("127.0.0.1").port(0)
        .handle((req, res) -> res.sendWebsocket((in, out) -> out.sendObject(in.receiveFrames()
            .map(f -> f.retain()))))
        .bindNow();
    SslContext clientTls = SslContextBuilder.forClient()
        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
        .trustManager(cert.toFile())
        .build();
    System.out.printf(Locale.ROOT, "TLS session benchmark: %s sessions, %s certificate, %s rounds, %s s of "
        + "handshakes at 1 and %s in flight; %d cores, Java %s; clients: %s engine%n", o.get("--sessions"),
        o.get("--cert").toUpperCase(Locale.ROOT), o.get("--rounds"), o.get("--seconds"), o.get("--concurrency"),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        OpenSsl.isAvailable() ? "OpenSSL" : "JDK");
    System.out.println("command: mvn -q -pl gateway exec:exec@tls-bench" + (args.length == 0 ? ""
        : " -Dbench.args=\"" + String.join(" ", args) + "\""));
    TlsSessionBenchmark bench = new TlsSessionBenchmark(o, dir, loops, clientTls,
        ((InetSocketAddress) upstream.address()).getPort(), cert, key);
    List<Mode> modes = Arrays.stream(o.get("--modes").split(",")).map(m -> Mode.valueOf(m.strip()
        .toUpperCase(Locale.ROOT))).toList();
    List<Result> results = new ArrayList<>();
    try (Children children = new Children()) {
      for (int round = 1; round <= Integer.parseInt(o.get("--rounds")); round++) {
        List<Mode> order = new ArrayList<>(modes);
        if (round % 2 == 0) {
          java.util.Collections.reverse(order); // alternate: no mode always first or last
        }
        for (Mode mode : order) {
          Result r = bench.run(children, mode, round);
          results.add(r);
          System.out.println(line(r, Integer.parseInt(o.get("--concurrency"))));
        }
      }
    } finally {
      upstream.disposeNow();
      loops.disposeLater().block(Duration.ofSeconds(5));
    }
    summary(results, modes);
    footprints(modes, cert, key, Integer.parseInt(o.get("--sessions")));
  }

  /**
   * The TLS state alone, by engine: {@link dev.wsgate.server.TlsEngineFootprint} in a JVM of its own, with its heap
   * pre-touched, holding server engines of wsgate's listener context after handshakes in memory.
   */
  private static void footprints(List<Mode> modes, Path cert, Path key, int n) throws Exception {
    System.out.println("the TLS state alone, by engine (" + n + " server engines of wsgate's listener context, each "
        + "after a full TLS 1.3 handshake with SNI, in memory):");
    for (Mode mode : modes) {
      if (mode.engine == null) {
        continue;
      }
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"),
          "dev.wsgate.server.TlsEngineFootprint", mode.engine, String.valueOf(n), cert.toString(), key.toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(5, TimeUnit.MINUTES);
      Matcher m = Pattern.compile("footprint \\w+ heap (-?\\d+) native (-?\\d+) resumed (\\d+)").matcher(out);
      if (!m.find()) {
        throw new IllegalStateException("no footprint from " + mode + ": " + out);
      }
      System.out.printf(Locale.ROOT, "  %-15s live heap %.1f KiB, outside the heap (RSS) %.1f KiB an engine; %s "
          + "resumed%n", mode.label, Long.parseLong(m.group(1)) / KIB, Long.parseLong(m.group(2)) / KIB, m.group(3));
    }
  }

  // ---------------------------------------------------------------------------------------------- one run

  private Result run(Children children, Mode mode, int round) throws Exception {
    int sessions = Integer.parseInt(o.get("--sessions"));
    int port = WsgateProcess.freePort();
    int admin = WsgateProcess.freePort();
    String name = mode.name().toLowerCase(Locale.ROOT) + "-" + round;
    Path config = dir.resolve(name + ".yaml");
    Files.writeString(config, "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:" + admin + "\n"
        + "  max-connections: " + (2 * sessions + 1000) + "\n"
        + (mode == Mode.PLAIN ? "" : "  tls:\n    cert: \"" + cert + "\"\n    key: \"" + key + "\"\n")
        + "heartbeat:\n  interval: 0\nintermediaries:\n  idle-timeout: 0\n"
        + "shutdown:\n  drain-timeout: 0\n"
        + "routes:\n  - path: /\n    upstreams: [\"ws://127.0.0.1:" + upstreamPort + "\"]\n");
    int heapMb = Integer.parseInt(o.get("--heap-mb"));
    boolean pretouch = Boolean.parseBoolean(o.get("--pretouch"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx" + heapMb + "m", pretouch ? "-Xms" + heapMb + "m" : "-Xms64m"));
    if (pretouch) {
      command.add("-XX:+AlwaysPreTouch");
    }
    if (mode.engine != null) {
      command.add("-Dwsgate.tls.engine=" + mode.engine);
    }
    String extra = System.getProperty("wsgate.jvmArgs", "").strip();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.addAll(List.of("-jar", WsgateProcess.jar().toString(), "--config", config.toString()));
    Process p = children.add(new ProcessBuilder(command).redirectErrorStream(true).start());
    Output out = new Output(p, dir.resolve(name + ".log"));
    try {
      out.awaitStarted(Duration.ofMinutes(2));
      String expected = mode == Mode.PLAIN ? null : mode == Mode.JDK ? "TLS engine: JDK" : "TLS engine: OpenSSL";
      if (expected != null && out.lines.stream().noneMatch(l -> l.contains(expected))) {
        throw new IllegalStateException("wsgate does not say \"" + expected + "\"; see " + name + ".log");
      }
      String scheme = mode == Mode.PLAIN ? "ws" : "wss";
      HttpClient client = HttpClient.newConnection().runOn(loops);
      if (mode != Mode.PLAIN) {
        // With the server name, as browsers send it: the JDK's engine keeps more with it (its session's).
        client = client.secure(spec -> spec.sslContext(clientTls).serverNames(new SNIHostName("localhost")));
      }
      HttpClient.WebsocketSender ws = client.websocket().uri(scheme + "://127.0.0.1:" + port + "/");
      AtomicInteger failures = new AtomicInteger();
      AtomicInteger resumed = new AtomicInteger();

      // Warm-up: the JIT compiler's work, Netty's pools and thread caches, in the baseline.
      Sinks.Empty<Void> closeWarm = Sinks.empty();
      openIdle(ws, Integer.parseInt(o.get("--warmup")), closeWarm, failures, resumed);
      closeWarm.tryEmitEmpty();
      awaitLive(admin, 0);
      long pid = p.pid();
      Memory base = memory(pid, admin);

      Sinks.Empty<Void> closeAll = Sinks.empty();
      openIdle(ws, sessions, closeAll, failures, resumed);
      awaitLive(admin, sessions);
      TimeUnit.SECONDS.sleep(2);
      Memory first = memory(pid, admin);
      openIdle(ws, sessions, closeAll, failures, resumed);
      awaitLive(admin, 2 * sessions);
      TimeUnit.SECONDS.sleep(2);
      Memory second = memory(pid, admin);
      if (Boolean.parseBoolean(o.get("--histogram"))) {
        Files.writeString(dir.resolve(name + "-histogram.txt"), jcmd(pid, "GC.class_histogram"));
      }
      closeAll.tryEmitEmpty();
      awaitLive(admin, 0);
      Memory after = memory(pid, admin);

      int seconds = Integer.parseInt(o.get("--seconds"));
      int concurrency = Integer.parseInt(o.get("--concurrency"));
      handshakes(ws, pid, concurrency, Math.max(1, seconds / 3), failures, resumed); // the JIT compiler's share
      awaitLive(admin, 0);
      double[] seq = handshakes(ws, pid, 1, seconds, failures, resumed);
      awaitLive(admin, 0);
      double[] conc = handshakes(ws, pid, concurrency, seconds, failures, resumed);
      return new Result(mode, round, sessions, base, first, second, after, seq[0], seq[1], conc[0], conc[1],
          failures.get(), resumed.get(), loadAverage());
    } finally {
      Children.stop(p);
    }
  }

  /**
   * Opens {@code n} sessions that stay open, idle, until {@code close} completes (then each sends a close frame
   * and waits for the answer), at most {@link #OPENING_IN_FLIGHT} handshakes at a time; returns once all are open.
   */
  private void openIdle(HttpClient.WebsocketSender ws, int n, Sinks.Empty<Void> close, AtomicInteger failures,
      AtomicInteger resumed) throws InterruptedException {
    Semaphore inFlight = new Semaphore(OPENING_IN_FLIGHT);
    CountDownLatch opened = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      ws.handle((in, out) -> {
        in.withConnection(c -> countResumed(c.channel().pipeline().get(SslHandler.class), resumed));
        inFlight.release();
        opened.countDown();
        return close.asMono().then(Mono.defer(() -> out.sendClose(1000, "done")))
            .then(in.receiveFrames().then());
      }).subscribe(null, e -> {
        failures.incrementAndGet();
        inFlight.release();
        opened.countDown();
      });
    }
    if (!opened.await(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("not all " + n + " sessions opened: " + (n - opened.getCount()));
    }
  }

  /**
   * Sessions opened through wsgate (TCP, TLS, the WebSocket handshake and wsgate's own to the upstream) and at once
   * closed again (a close frame, then the connection), {@code inFlight} at a time, for {@code seconds}.
   *
   * @return sessions a second, and wsgate's CPU time a session in ms
   */
  private double[] handshakes(HttpClient.WebsocketSender ws, long pid, int inFlight, int seconds,
      AtomicInteger failures, AtomicInteger resumed) throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long[] cpu0 = Proc.cpuTicks(pid);
    long t0 = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < inFlight; t++) {
      Thread thread = new Thread(() -> {
        while (System.nanoTime() < deadline) {
          try {
            ws.handle((in, out) -> {
              in.withConnection(c -> countResumed(c.channel().pipeline().get(SslHandler.class), resumed));
              return Mono.<Void>empty();
            }).blockLast(Duration.ofSeconds(30));
            done.incrementAndGet();
          } catch (RuntimeException e) {
            failures.incrementAndGet();
          }
        }
      }, "handshakes-" + t);
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    long[] cpu1 = Proc.cpuTicks(pid);
    double cpuMs = (cpu1[0] + cpu1[1] - cpu0[0] - cpu0[1]) * 1000 / Proc.TICKS_PER_SECOND;
    return new double[] {done.get() / wall, done.get() == 0 ? 0 : cpuMs / done.get()};
  }

  private void countResumed(SslHandler handler, AtomicInteger resumed) {
    if (handler == null || sessionReused == null) {
      return;
    }
    try {
      if ((Boolean) sessionReused.invoke(handler.engine())) {
        resumed.incrementAndGet();
      }
    } catch (ReflectiveOperationException | IllegalArgumentException notOpenSsl) {
      // a JDK client engine: resumption is off by jdk.tls.client.enableSessionTicketExtension=false
    }
  }

  /** Netty's OpenSSL engine's {@code isSessionReused()}, package-private: the proof that no handshake resumed. */
  private static Method reusedMethod() {
    try {
      Method m = Class.forName("io.netty.handler.ssl.ReferenceCountedOpenSslEngine")
          .getDeclaredMethod("isSessionReused");
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  // ------------------------------------------------------------------------------------------ measurements

  private static void awaitLive(int admin, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    double live = -1;
    while (System.nanoTime() < deadline) {
      live = AdminMetrics.scrape(admin).sum("wsgate_sessions_live");
      if (live == n) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new IllegalStateException("wsgate_sessions_live stayed at " + live + ", not " + n);
  }

  private static Memory memory(long pid, int admin) throws Exception {
    long heap = heapAfterFullGc(pid);
    return new Memory(heap, rss(pid), direct(admin));
  }

  private static long direct(int admin) throws Exception {
    return (long) AdminMetrics.scrape(admin).sum("wsgate_netty_direct_memory_used_bytes");
  }

  /** The machine's load average over 1, 5 and 15 minutes: other work competes for the cores. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException unknown) {
      return "?";
    }
  }

  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  /** Two full collections ({@code jcmd PID GC.run}), then the heap in use ({@code GC.heap_info}), in bytes. */
  private static long heapAfterFullGc(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    jcmd(pid, "GC.run");
    return HeapInfo.usedBytes(jcmd(pid, "GC.heap_info"));
  }

  private static String jcmd(long pid, String what) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        String.valueOf(pid), what).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jcmd " + what + " failed: " + text);
    }
    return text;
  }

  // ------------------------------------------------------------------------------------------------ output

  private static String line(Result r, int concurrency) {
    return String.format(Locale.ROOT, "  round %d %-15s a session, the first %d: heap %5.1f KiB, RSS %5.1f KiB, direct "
        + "%4.1f KiB; the next %d: heap %5.1f KiB, RSS %5.1f KiB, direct %4.1f KiB; all closed: heap %+5.1f MiB, RSS "
        + "%+5.1f MiB on the baseline; new sessions %4.0f/s (%.2f ms wsgate CPU each) one at a time, %4.0f/s "
        + "(%.2f ms) %d at a time; %d failed, %d resumed; machine load %s",
        r.round(), r.mode().label, r.sessions(), r.perSession(Memory::heap) / KIB, r.perSession(Memory::rss) / KIB,
        r.perSession(Memory::direct) / KIB, r.sessions(), r.perNextSession(Memory::heap) / KIB,
        r.perNextSession(Memory::rss) / KIB, r.perNextSession(Memory::direct) / KIB,
        (r.after().heap() - r.base().heap()) / KIB / KIB, (r.after().rss() - r.base().rss()) / KIB / KIB,
        r.seqRate(), r.seqCpuMs(), r.concRate(), r.concCpuMs(), concurrency, r.failures(), r.resumed(), r.load());
  }

  private static void summary(List<Result> results, List<Mode> modes) {
    System.out.println("a session, by mode (range over rounds; first sessions / next sessions; TLS: mean on top of "
        + "the plain session's):");
    Map<Mode, List<Result>> by = new LinkedHashMap<>();
    for (Mode m : modes) {
      by.put(m, results.stream().filter(r -> r.mode() == m).toList());
    }
    List<Result> plain = by.getOrDefault(Mode.PLAIN, List.of());
    for (Map.Entry<Mode, List<Result>> e : by.entrySet()) {
      List<Result> rs = e.getValue();
      if (rs.isEmpty()) {
        continue;
      }
      String tls = "";
      if (e.getKey() != Mode.PLAIN && !plain.isEmpty()) {
        tls = String.format(Locale.ROOT, " (TLS: heap %+.1f / %+.1f KiB, RSS %+.1f / %+.1f KiB)",
            (mean(rs, r -> r.perSession(Memory::heap)) - mean(plain, r -> r.perSession(Memory::heap))) / KIB,
            (mean(rs, r -> r.perNextSession(Memory::heap)) - mean(plain, r -> r.perNextSession(Memory::heap))) / KIB,
            (mean(rs, r -> r.perSession(Memory::rss)) - mean(plain, r -> r.perSession(Memory::rss))) / KIB,
            (mean(rs, r -> r.perNextSession(Memory::rss)) - mean(plain, r -> r.perNextSession(Memory::rss))) / KIB);
      }
      System.out.printf(Locale.ROOT, "  %-15s live heap %s / %s KiB, RSS %s / %s KiB, direct %s / %s KiB%s; new "
          + "sessions %s/s one at a time, %s/s in parallel; wsgate CPU %s ms a session%n", e.getKey().label,
          range(rs, r -> r.perSession(Memory::heap) / KIB, "%.1f"),
          range(rs, r -> r.perNextSession(Memory::heap) / KIB, "%.1f"),
          range(rs, r -> r.perSession(Memory::rss) / KIB, "%.1f"),
          range(rs, r -> r.perNextSession(Memory::rss) / KIB, "%.1f"),
          range(rs, r -> r.perSession(Memory::direct) / KIB, "%.1f"),
          range(rs, r -> r.perNextSession(Memory::direct) / KIB, "%.1f"), tls,
          range(rs, Result::seqRate, "%.0f"), range(rs, Result::concRate, "%.0f"),
          range(rs, Result::concCpuMs, "%.2f"));
    }
  }

  private interface Figure {
    double of(Result r);
  }

  private static double mean(List<Result> rs, Figure f) {
    return rs.stream().mapToDouble(f::of).average().orElse(0);
  }

  private static String range(List<Result> rs, Figure f, String format) {
    double min = rs.stream().mapToDouble(f::of).min().orElse(0);
    double max = rs.stream().mapToDouble(f::of).max().orElse(0);
    String a = String.format(Locale.ROOT, format, min);
    String b = String.format(Locale.ROOT, format, max);
    return a.equals(b) ? a : a + "-" + b;
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** wsgate's output, to a file, with its lines up to "started" kept to check the engine it names. */
  private static final class Output {
    final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Process process;

    Output(Process process, Path log) {
      this.process = process;
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8)); Writer w = Files.newBufferedWriter(log)) {
          for (String line; (line = r.readLine()) != null; ) {
            w.write(line);
            w.write('\n');
            if (started.getCount() > 0) {
              lines.add(line);
              if (line.contains(" started")) {
                w.flush();
                started.countDown();
              }
            }
          }
        } catch (IOException ended) {
          // the process ended
        }
      }, "wsgate-output");
      t.setDaemon(true);
      t.start();
    }

    void awaitStarted(Duration timeout) throws InterruptedException {
      if (!started.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("wsgate did not start within " + timeout + " (alive: " + process.isAlive()
            + ")");
      }
    }
  }

  private static Path resource(String name) throws URISyntaxException {
    var url = TlsSessionBenchmark.class.getResource(name);
    if (url == null) {
      throw new IllegalArgumentException("no " + name + " on the test class path (--cert rsa or ec)");
    }
    return Path.of(url.toURI());
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> v = new HashMap<>(Map.of("--sessions", "3000", "--rounds", "2", "--cert", "rsa",
        "--seconds", "10", "--concurrency", "8", "--warmup", "300", "--heap-mb", "512", "--pretouch", "true",
        "--histogram", "false", "--modes", "plain,jdk,openssl"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!v.containsKey(args[i])) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + v.keySet());
      }
      v.put(args[i], args[i + 1]);
    }
    return v;
  }
}
