package dev.wsgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Several wsgate processes on one port ({@code server.reuse-port: true}, {@code SO_REUSEPORT}), for a host where the
 * open-file limit, not the CPU, bounds one process: {@code --processes} wsgate processes (default 3) from
 * {@code target/wsgate.jar}, one configuration file for all, the same listen port; each has an admin port of its
 * own, from the environment ({@code admin: ${WSGATE_ADMIN}}), as the systemd template unit gives it.
 * {@code --sessions} clients (default 27,000) are opened through them, from several client processes and source
 * addresses (127.0.0.2 and up), to upstreams in several processes on ports of their own, and held
 * {@code --hold-s} (default 60) with wsgate's default heartbeats. Then each process's {@code /metrics} is read: its
 * share of the sessions, which sum to all of them, and what it closed, evicted and refused (none); with its CPU,
 * resident memory and open files. Prints figures, not a test: it exits 0 whatever they are, and prints a
 * {@code FAIL:} line for each expectation that did not hold.
 * <pre>
 * mvn -q -o -pl gateway-config,gateway -DskipTests install
 * mvn -q -pl gateway exec:exec@reuseport-scale [-Dbench.args="--sessions 27000 --processes 3 --hold-s 60"]
 * </pre>
 * Other options: {@code --ramp 300} (sessions opened a second), {@code --client-processes N},
 * {@code --upstream-processes N}, {@code --message-every-s 60}. Each wsgate may hold {@code (limit - 100) / 2}
 * sessions, two sockets each under this process's limit of open files (which its children inherit), its
 * {@code server.max-connections}: with 20,000 files, 9,950, so 30,000 sessions need 4 processes. Output of every
 * process, and the configuration: {@code target/reuseport-scale/}.
 */
final class ReusePortScale {

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(15);
  private static final int SOURCES_PER_CLIENT_PROCESS = 4;
  /** Files a wsgate JVM holds besides its sockets (jars, event loops, pipes) are about 30; room for more. */
  private static final int FILES_OF_ITS_OWN = 100;

  private final ScaleOptions o;
  private final Path dir;
  private final Children children;
  private final int maxConnections;
  private final List<LoadProcess> upstreams = new ArrayList<>();
  private final List<LoadProcess> clients = new ArrayList<>();
  private final List<WsgateProcess> gateways = new ArrayList<>();
  private final List<Integer> adminPorts = new ArrayList<>();

  private ReusePortScale(ScaleOptions o, Path dir, Children children, int maxConnections) {
    this.o = o;
    this.dir = dir;
    this.children = children;
    this.maxConnections = maxConnections;
  }

  public static void main(String[] args) throws Exception {
    ScaleOptions o = ScaleOptions.parse(args);
    long limit = Proc.openFilesLimit(ProcessHandle.current().pid());
    int maxConnections = (int) Math.min(10_000, (limit - FILES_OF_ITS_OWN) / 2);
    System.out.println("reuse-port scale: " + o.describe());
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s; open files: at most %,d a process, so a wsgate"
        + " holds at most %,d sessions (server.max-connections)%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), limit, maxConnections);
    System.out.println("command: mvn -q -pl gateway exec:exec@reuseport-scale -Dbench.args=\"" + String.join(" ", args)
        + "\"");
    double each = (double) o.sessions() / o.processes();
    if (!fits(o.sessions(), o.processes(), maxConnections)) {
      int enough = o.processes();
      while (!fits(o.sessions(), enough, maxConnections)) {
        enough++;
      }
      System.out.printf(Locale.ROOT, "%s: %,d sessions over %d processes is %,.0f a process, %s the %,d one can"
          + " hold; --processes %d leaves room for the kernel's uneven spread%n", each > maxConnections ? "FAIL"
          : "warning", o.sessions(), o.processes(), each, each > maxConnections ? "over" : "close to",
          maxConnections, enough);
      if (each > maxConnections) {
        return;
      }
    }
    Path dir = Files.createDirectories(WsgateProcess.jar().getParent().resolve("reuseport-scale"));
    try (Children children = new Children()) {
      new ReusePortScale(o, dir, children, maxConnections).run();
    }
  }

  /**
   * Whether {@code processes} hold {@code sessions} with room to spare: the kernel hashes each connection's addresses
   * and ports to one listener, so were that a random draw a process's share would be binomial; three standard
   * deviations over the mean must stay within {@code maxConnections}.
   */
  private static boolean fits(int sessions, int processes, int maxConnections) {
    double p = 1.0 / processes;
    return sessions * p + 3 * Math.sqrt(sessions * p * (1 - p)) <= maxConnections;
  }

  private void run() throws Exception {
    for (int i = 0; i < o.upstreamProcesses(); i++) {
      upstreams.add(LoadProcess.start(children, "upstream-" + (i + 1), ChurnUpstream.class,
          List.of("--host", "127.0.0.1"), dir));
    }
    List<Integer> upstreamPorts = new ArrayList<>();
    for (LoadProcess u : upstreams) {
      upstreamPorts.add(Integer.parseInt(u.awaitReady(Duration.ofSeconds(60)).get("port")));
    }
    int port = startGateways(upstreamPorts);
    startClients(port);

    RampUp.await(clients, o.sessions(), o.ramp(), () -> live() >= o.sessions());

    List<ScaleReport.Figures> start = figures();
    long holdStart = System.nanoTime();
    long holdEnd = holdStart + Duration.ofSeconds(o.holdSeconds()).toNanos();
    for (long next = holdStart + PROGRESS_EVERY.toNanos(); next < holdEnd; next += PROGRESS_EVERY.toNanos()) {
      Poll.pauseUntil(next);
      System.out.printf(Locale.ROOT, "+%3.0f s held: %s%n", (System.nanoTime() - holdStart) / 1e9, progress());
    }
    Poll.pauseUntil(holdEnd);
    List<ScaleReport.Figures> end = figures();
    System.out.printf(Locale.ROOT, "after %.0f s held, each process's /metrics and /proc:%n",
        (System.nanoTime() - holdStart) / 1e9);
    new ScaleReport(o.sessions(), gateways, adminPorts, start, end)
        .print(LoadStats.of(clients), LoadStats.of(upstreams), System.out);
    stopAll();
  }

  /**
   * Starts the wsgate processes, one configuration file for all on one listen port with {@code reuse-port: true},
   * the admin port of each from its environment; returns the listen port.
   */
  private int startGateways(List<Integer> upstreamPorts) throws Exception {
    int port = WsgateProcess.freePort();
    String config = "server:\n  listen: 127.0.0.1:" + port + "\n  reuse-port: true\n"
        + "  admin: ${WSGATE_ADMIN}\n  max-connections: " + maxConnections + "\n"
        + "routes:\n  - path: /\n    balance: least-sessions\n    upstreams: ["
        + upstreamPorts.stream().map(p -> "\"ws://127.0.0.1:" + p + "\"").collect(Collectors.joining(", "))
        + "]\n";
    System.out.println("configuration of every wsgate (heartbeats: the defaults), in " + dir + "/wsgate-N/:");
    config.lines().forEach(l -> System.out.println("    " + l));
    for (int i = 0; i < o.processes(); i++) {
      int admin = WsgateProcess.freePort();
      Path own = Files.createDirectories(dir.resolve("wsgate-" + (i + 1)));
      gateways.add(WsgateProcess.start(children, port, admin, config, List.of("-Xms256m", "-Xmx1g",
          "-XX:+ExitOnOutOfMemoryError"), Map.of("WSGATE_ADMIN", "127.0.0.1:" + admin), own));
      adminPorts.add(admin);
    }
    for (int i = 0; i < gateways.size(); i++) {
      WsgateProcess w = gateways.get(i);
      w.awaitStarted(Duration.ofSeconds(60));
      System.out.printf(Locale.ROOT, "wsgate %d: WSGATE_ADMIN=127.0.0.1:%d %s (pid %d)%n", i + 1, adminPorts.get(i),
          w.commandLine(), w.pid());
    }
    return port;
  }

  private void startClients(int port) throws Exception {
    int n = o.clientProcesses();
    for (int i = 0; i < n; i++) {
      int sessions = o.sessions() / n + (i < o.sessions() % n ? 1 : 0);
      List<String> sources = ChurnClients.sourcesOf(i, SOURCES_PER_CLIENT_PROCESS);
      LoadProcess c = LoadProcess.start(children, "clients-" + (i + 1), ChurnClients.class, List.of(
          "--target", "127.0.0.1:" + port, "--sessions", String.valueOf(sessions),
          "--ramp", String.valueOf(Math.max(10, Math.round((double) o.ramp() * sessions / o.sessions()))),
          "--sources", String.join(",", sources),
          "--message-every-s", String.valueOf(o.messageEverySeconds()), "--seed", String.valueOf(i + 1)), dir);
      c.awaitReady(Duration.ofSeconds(60));
      clients.add(c);
      System.out.printf(Locale.ROOT, "%s: %,d sessions to 127.0.0.1:%d from %s (pid %d)%n", c.name(), sessions, port,
          String.join(",", sources), c.pid());
    }
  }

  /** Live sessions, all the wsgate processes together, as their {@code /metrics} count them. */
  private double live() throws IOException, InterruptedException {
    double n = 0;
    for (WsgateProcess w : gateways) {
      n += w.metrics().sum("wsgate_sessions_live");
    }
    return n;
  }

  private String progress() throws IOException, InterruptedException {
    List<String> each = new ArrayList<>();
    for (WsgateProcess w : gateways) {
      each.add(String.format(Locale.ROOT, "%,.0f", w.metrics().sum("wsgate_sessions_live")));
    }
    LoadStats c = LoadStats.of(clients);
    return String.format(Locale.ROOT, "wsgate_sessions_live %s (sum %,.0f); clients %,d live, %,d failed, %,d ended"
        + " unasked", String.join(" + ", each), live(), c.sum("live"), c.sum("failed"), c.sum("unexpected"));
  }

  private List<ScaleReport.Figures> figures() throws IOException, InterruptedException {
    List<ScaleReport.Figures> f = new ArrayList<>();
    for (WsgateProcess w : gateways) {
      f.add(ScaleReport.Figures.of(w));
    }
    return f;
  }

  private void stopAll() throws InterruptedException {
    for (LoadProcess c : clients) {
      c.stop();
    }
    for (WsgateProcess w : gateways) {
      w.stop();
    }
    for (LoadProcess u : upstreams) {
      u.stop();
    }
  }
}
