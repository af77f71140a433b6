package dev.wsgate.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A churn soak of wsgate: it holds {@code --sessions} sessions (default 9,000) for {@code --minutes} (default 10)
 * while {@code --churn} sessions a second (default 50) end and as many new ones open, the endings in turn: clean
 * close from the client, clean close from the upstream, client reset, upstream reset, silent client, silent upstream
 * (a peer that stops reading and answering without FIN or RST, which wsgate's heartbeat must evict at about 3-4 s).
 * Some clients read slowly while their upstream floods them (backpressure). Prints figures, not a test: it exits 0
 * whatever they are, and prints a {@code FAIL:} line for each expectation that did not hold.
 * <pre>
 * mvn -q -pl gateway -am package -DskipTests
 * mvn -q -pl gateway exec:exec@churn-soak [-Dbench.args="--sessions 9000 --minutes 10 --churn 50"]
 * </pre>
 * Short trials: {@code --seconds 60 --sessions 1000 --churn 20}. Other options: {@code --slow-percent 5},
 * {@code --slow-kib-per-s 64}, {@code --flood-frame 4096}, {@code --ramp 300} (sessions opened per second at the
 * start), {@code --message-every-s 30}, {@code --settle-s 10}, {@code --client-processes N},
 * {@code --upstream-processes N}, {@code --seed 1}.
 *
 * <p>Processes: wsgate runs from {@code target/wsgate.jar} as in production (leak detection {@code advanced},
 * heartbeat 1 s / 3 s on both legs); the clients ({@link ChurnClients}) and the upstreams ({@link ChurnUpstream})
 * run in JVMs of their own, at most 4,500 sessions each, under the limit of 20,000 open files a process; the
 * clients connect from several loopback addresses (127.0.0.2 and up), since one source address reaches one
 * address and port through at most about 28,000 ports. {@code -Dwsgate.jvmArgs="..."} adds JVM options to wsgate.
 * Output of every process: {@code target/churn-soak/}.
 */
final class ChurnSoak {

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);
  private static final int SOURCES_PER_CLIENT_PROCESS = 4;

  private final SoakOptions o;
  private final Path dir;
  private final Children children;
  private final List<LoadProcess> upstreams = new ArrayList<>();
  private final List<LoadProcess> clients = new ArrayList<>();
  private WsgateProcess wsgate;

  private ChurnSoak(SoakOptions o, Path dir, Children children) {
    this.o = o;
    this.dir = dir;
    this.children = children;
  }

  public static void main(String[] args) throws Exception {
    SoakOptions o = SoakOptions.parse(args);
    Path dir = WsgateProcess.outputDirectory();
    System.out.println("churn soak: " + o.describe());
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));
    System.out.println("command: mvn -q -pl gateway exec:exec@churn-soak -Dbench.args=\"" + String.join(" ", args)
        + "\"");
    System.out.println("soak JVM: java " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())
        + " -cp <test class path> " + ChurnSoak.class.getName() + " " + String.join(" ", args));
    try (Children children = new Children()) {
      new ChurnSoak(o, dir, children).run();
    }
  }

  private void run() throws Exception {
    startUpstreams();
    List<Integer> ports = new ArrayList<>();
    for (LoadProcess u : upstreams) {
      ports.add(Integer.parseInt(u.awaitReady(Duration.ofSeconds(60)).get("port")));
    }
    wsgate = WsgateProcess.start(children, o, ports, dir);
    wsgate.awaitStarted(Duration.ofSeconds(60));
    System.out.println("wsgate: " + wsgate.commandLine() + " (pid " + wsgate.pid() + ")");
    System.out.println("output of every process, wsgate's configuration: " + dir);
    startClients();

    RampUp.await(clients, o.sessions(), o.ramp(),
        () -> wsgate.metrics().sum("wsgate_sessions_live") >= o.sessions());
    Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(o.settleSeconds()).toNanos());

    Snapshot start = snapshot(true);
    System.out.printf(Locale.ROOT, "start (after a full GC): %s%n", SoakReport.state(start));

    for (LoadProcess c : clients) {
      c.send("churn on");
    }
    long churnStart = System.nanoTime();
    long churnEnd = churnStart + (long) (o.seconds() * 1e9);
    Snapshot last = start;
    for (long next = churnStart + PROGRESS_EVERY.toNanos(); next < churnEnd; next += PROGRESS_EVERY.toNanos()) {
      Poll.pauseUntil(next);
      Snapshot now = snapshot(false);
      System.out.println(SoakReport.progress(start, last, now, wsgate.leaks()));
      last = now;
    }
    Poll.pauseUntil(churnEnd);
    for (LoadProcess c : clients) {
      c.send("churn off");
    }
    Snapshot churnStop = snapshot(false);
    System.out.println(SoakReport.progress(start, last, churnStop, wsgate.leaks()));
    System.out.printf(Locale.ROOT, "churn stopped after %.1f s; waiting for the last endings (silent peers are"
        + " evicted at 3-4 s and closed 5 s later)%n", (System.nanoTime() - churnStart) / 1e9);

    // Silent peers asked for in the last second are evicted within 4 s, then closed server.close-timeout (5 s) later.
    Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(10).toNanos());
    // The start figure of live sessions may count a few being evicted (a slow reader's); the clients hold o.sessions().
    long settleStart = System.nanoTime();
    boolean settled = Poll.until(Duration.ofSeconds(30), Duration.ofSeconds(1), () -> {
      double liveNow = wsgate.metrics().sum("wsgate_sessions_live");
      return liveNow == o.sessions()
          && SoakReport.filesNotBack(start.fileKinds(), Proc.openFileKinds(wsgate.pid()), liveNow) == null;
    });
    System.out.printf(Locale.ROOT, "%s %.0f s after the churn stopped%n", settled
        ? "sessions back to " + o.sessions() + " and open files back" : "sessions NOT back to " + o.sessions()
        + " or open files NOT back", (System.nanoTime() - settleStart) / 1e9 + 10);
    Snapshot end = snapshot(true);
    // Leak reports come when the detector next tracks a buffer after the collection: give the heartbeats' traffic
    // a few seconds.
    Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(5).toNanos());
    System.out.printf(Locale.ROOT, "end (after a full GC): %s%n", SoakReport.state(end));
    new SoakReport(start, churnStop, end, wsgate).print(System.out);
    stopAll();
  }

  private void startUpstreams() throws IOException {
    for (int i = 0; i < o.upstreamProcesses(); i++) {
      upstreams.add(LoadProcess.start(children, "upstream-" + (i + 1), ChurnUpstream.class,
          List.of("--host", "127.0.0.1", "--flood-frame", String.valueOf(o.floodFrameBytes())), dir));
    }
  }

  private void startClients() throws Exception {
    int n = o.clientProcesses();
    for (int i = 0; i < n; i++) {
      int sessions = o.sessions() / n + (i < o.sessions() % n ? 1 : 0);
      double share = (double) sessions / o.sessions();
      List<String> sources = ChurnClients.sourcesOf(i, SOURCES_PER_CLIENT_PROCESS);
      LoadProcess c = LoadProcess.start(children, "clients-" + (i + 1), ChurnClients.class, List.of(
          "--target", "127.0.0.1:" + wsgate.port(), "--sessions", String.valueOf(sessions),
          "--churn", String.format(Locale.ROOT, "%.3f", o.churn() * share),
          "--ramp", String.valueOf(Math.max(10, Math.round(o.ramp() * share))),
          "--sources", String.join(",", sources),
          "--slow-percent", String.valueOf(o.slowPercent()),
          "--slow-kib-per-s", String.valueOf(o.slowKibPerSecond()),
          "--message-every-s", String.valueOf(o.messageEverySeconds()),
          "--seed", String.valueOf(o.seed() + i), "--first-ending", String.valueOf(i)), dir);
      c.awaitReady(Duration.ofSeconds(60));
      clients.add(c);
      System.out.printf(Locale.ROOT, "%s: %d sessions from %s (pid %d)%n", c.name(), sessions,
          String.join(",", sources), c.pid());
    }
  }

  private Snapshot snapshot(boolean fullGc) throws Exception {
    long heap = fullGc ? wsgate.heapUsedAfterFullGc() : -1;
    AdminMetrics metrics = wsgate.metrics();
    int files = wsgate.openFiles();
    Map<String, Integer> kinds = fullGc ? Proc.openFileKinds(wsgate.pid()) : Map.of();
    LoadStats c = LoadStats.of(clients);
    LoadStats u = LoadStats.of(upstreams);
    long[] load = {0, 0};
    for (LoadProcess p : concat()) {
      long[] t = Proc.cpuTicks(p.pid());
      load[0] += t[0];
      load[1] += t[1];
    }
    return new Snapshot(System.nanoTime(), metrics, files, heap, c, u, Proc.cpuTicks(wsgate.pid()), load, kinds,
        Proc.kernelTcpCounters());
  }

  private List<LoadProcess> concat() {
    List<LoadProcess> all = new ArrayList<>(clients);
    all.addAll(upstreams);
    return all;
  }

  private void stopAll() throws InterruptedException {
    for (LoadProcess c : clients) {
      c.stop();
    }
    wsgate.stop();
    for (LoadProcess u : upstreams) {
      u.stop();
    }
  }
}
