package dev.wsgate.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * wsgate next to nginx and HAProxy, in one run, in front of one echo upstream: CPU per echoed message, throughput
 * and round-trip time under the same echo load, and memory per idle WebSocket connection. Prints figures; not a
 * test.
 * <pre>
 * mvn -q -o -pl gateway-config,gateway -am package -DskipTests
 * mvn -q -pl gateway exec:exec@proxy-compare [-Dbench.args="--idle 1000 --seconds 5 --warmup 3"]
 * </pre>
 * Processes, each of its own: the echo upstream ({@link CompareUpstream}, Netty, one port per path), the three
 * proxies in front of it on loopback ports ({@link ProxyUnderTest}: wsgate from {@code target/wsgate.jar} with the
 * JVM options of {@code deploy/Dockerfile} and its default configuration; nginx as a master and
 * {@code --workers} workers; HAProxy with {@code --workers} threads), the echo load ({@link CompareClients}), and
 * for the memory phase as many idle-load processes as the per-process limit of open files asks for.
 *
 * <p>Echo phase: each path (a proxy, or direct to the upstream) gets {@code --connections} connections, each
 * keeping {@code --window} messages of {@code --size} bytes in flight; after a warm-up of each path, {@code --rounds}
 * rounds measure each path for {@code --seconds}, the order mirrored from round to round (direct, wsgate, nginx,
 * HAProxy; HAProxy, nginx, wsgate, direct; ...). A proxy's CPU is the user and system time of all its processes
 * ({@code /proc/PID/stat}, nginx's workers included) over the measured window, divided by the messages echoed.
 *
 * <p>Memory phase: {@code --idle} sessions that send nothing are opened through each proxy in turn; the sum of
 * VmRSS, and of Pss, of all its processes before and after, divided by the sessions. For wsgate also the heap in
 * use after full collections ({@code jcmd}). Output of every process and the generated configurations:
 * {@code target/proxy-compare/}.
 */
public final class ProxyComparison {

  /** Classes shown of those whose live objects grew most with wsgate's idle sessions. */
  private static final int GROWTH_SHOWN = 15;

  /** One path of the echo load: a proxy, or straight to the upstream (proxy null). */
  record Target(String name, int port, ProxyUnderTest proxy) {
  }

  /** One measured echo run. */
  record Run(String path, int round, long echoed, double seconds, MicrosHistogram rtt, long proxyTicks,
      double cpuSeconds, long loadTicks, long upstreamTicks, String split, long lost) {
  }

  /** The memory phase of one proxy, in KiB (heap in bytes, -1 when not measured). */
  record Memory(String proxy, long sessions, long rssBefore, long rssAfter, long pssBefore, long pssAfter,
      long heapBefore, long heapAfter, long rssAfterGc, long rssHeld, long pssHeld, String note) {
  }

  private final CompareOptions o;
  private final Path dir;
  private final Children children;
  private LoadProcess upstream;
  private LoadProcess load;
  private final List<Target> targets = new ArrayList<>();
  private final List<Run> runs = new ArrayList<>();
  private final List<Memory> memories = new ArrayList<>();

  private ProxyComparison(CompareOptions o, Path dir, Children children) {
    this.o = o;
    this.dir = dir;
    this.children = children;
  }

  public static void main(String[] args) throws Exception {
    CompareOptions o = CompareOptions.parse(args);
    Path dir = WsgateProcess.jar().getParent().resolve("proxy-compare");
    if (Files.isDirectory(dir)) { // the previous run's output
      try (Stream<Path> old = Files.walk(dir)) {
        for (Path f : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
    Files.createDirectories(dir);
    System.out.println("proxy comparison: " + o.describe());
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s; open files a process: %d%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        ProxyUnderTest.openFilesLimit());
    System.out.println("command: mvn -q -pl gateway exec:exec@proxy-compare -Dbench.args=\"" + String.join(" ", args)
        + "\"");
    System.out.println("this JVM: " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
    System.out.println("Linux " + Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip() + "; load average "
        + loadAverage());
    System.out.println("output of every process, configurations: " + dir);
    try (Children children = new Children()) {
      ProxyComparison c = new ProxyComparison(o, dir, children);
      try {
        c.run();
      } finally {
        c.printTable();
        System.out.println("load average at the end: " + loadAverage());
      }
    }
  }

  private void run() throws Exception {
    upstream = LoadProcess.start(children, "upstream", CompareUpstream.class, List.of("--ports",
        String.valueOf(o.proxies().size() + 1), "--threads", String.valueOf(o.upstreamThreads())), dir);
    String[] ports = upstream.awaitReady(Duration.ofSeconds(60)).get("ports").split(",");
    System.out.printf(Locale.ROOT, "echo upstream: pid %d, ports %s, %d event loop(s)%n", upstream.pid(),
        String.join(",", ports), o.upstreamThreads());
    int files = ProxyUnderTest.openFilesLimit();
    for (int i = 0; i < o.proxies().size(); i++) {
      int up = Integer.parseInt(ports[i]);
      ProxyUnderTest p = switch (o.proxies().get(i)) {
        case "wsgate" -> ProxyUnderTest.wsgate(children, up, o.idle() + 100, dir);
        case "nginx" -> ProxyUnderTest.nginx(children, o.nginx(), o.workers(), up, files, dir);
        default -> ProxyUnderTest.haproxy(children, o.haproxy(), o.workers(), up, files, dir);
      };
      targets.add(new Target(p.name(), p.port(), p));
      System.out.printf(Locale.ROOT, "%s: %s; port %d -> upstream %d; pids %s%n  %s%n", p.name(), p.version(),
          p.port(), up, p.processes().stream().map(h -> String.valueOf(h.pid())).toList(),
          p.describe().replace("\n", "\n  "));
    }
    Target direct = new Target("direct", Integer.parseInt(ports[o.proxies().size()]), null);
    load = LoadProcess.start(children, "load", CompareClients.class, List.of("--sources", "127.0.0.1"), dir);
    load.awaitReady(Duration.ofSeconds(60));
    System.out.printf(Locale.ROOT, "echo load: pid %d%n", load.pid());

    List<Target> order = new ArrayList<>();
    order.add(direct);
    order.addAll(targets);
    System.out.printf(Locale.ROOT, "%nwarm-up, %d s each: %s%n", o.warmupSeconds(),
        order.stream().map(Target::name).toList());
    for (Target t : order) {
      echo(t, 0, o.warmupSeconds());
    }
    System.out.printf(Locale.ROOT, "%n%-7s %5s %10s %9s %9s %11s %9s %11s %11s  %s%n", "path", "round", "msgs/s",
        "p50 ms", "p99 ms", "proxy us/m", "proxy %", "load us/m", "upstr us/m", "CPU ticks by process");
    for (int round = 1; round <= o.rounds(); round++) {
      List<Target> now = new ArrayList<>(order);
      if (round % 2 == 0) {
        Collections.reverse(now);
      }
      for (Target t : now) {
        Run r = echo(t, round, o.seconds());
        runs.add(r);
        System.out.println(describe(r));
      }
    }
    load.stop();

    if (o.idle() > 0) {
      System.out.printf(Locale.ROOT, "%nmemory: %d idle sessions through each proxy%n", o.idle());
      for (Target t : targets) {
        Memory m = idle(t.proxy());
        memories.add(m);
        System.out.println(describe(m));
      }
    }
  }

  /** One echo run through a path: connections opened, settled, measured for {@code seconds}, closed. */
  private Run echo(Target t, int round, int seconds) throws Exception {
    String opened = load.ask("echo 127.0.0.1:" + t.port() + " " + o.connections() + " " + o.window() + " "
        + o.size(), "@@ECHO", Duration.ofSeconds(60));
    Map<String, String> open = StatsLine.parse(StatsLine.PREFIX + opened);
    if (!open.get("failed").equals("0")) {
      System.out.printf(Locale.ROOT, "  %s: %s of %d connections failed: %s%n", t.name(), open.get("failed"),
          o.connections(), open.get("failures"));
    }
    Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(o.settleSeconds()).toNanos());
    Map<Long, Long> proxy0 = t.proxy() == null ? Map.of() : t.proxy().cpuTicksByPid();
    long load0 = ticks(load.pid());
    long up0 = ticks(upstream.pid());
    long t0 = System.nanoTime();
    load.ask("reset", "@@RESET", Duration.ofSeconds(10));
    Poll.pauseUntil(t0 + Duration.ofSeconds(seconds).toNanos());
    Map<String, String> s = load.stats();
    double cpuSeconds = (System.nanoTime() - t0) / 1e9;
    Map<Long, Long> proxy1 = t.proxy() == null ? Map.of() : t.proxy().cpuTicksByPid();
    long load1 = ticks(load.pid());
    long up1 = ticks(upstream.pid());
    load.ask("stop", "@@STOPPED", Duration.ofSeconds(30));
    if (!Poll.until(Duration.ofSeconds(15), Duration.ofMillis(200),
        () -> upstream.stats().get("live").equals("0"))) {
      System.out.printf(Locale.ROOT, "  %s: the upstream still has %s sessions 15 s after the load closed%n",
          t.name(), upstream.stats().get("live"));
    }
    long proxyTicks = 0;
    List<String> split = new ArrayList<>();
    for (Map.Entry<Long, Long> e : proxy1.entrySet()) {
      long d = e.getValue() - proxy0.getOrDefault(e.getKey(), e.getValue());
      proxyTicks += d;
      split.add(String.valueOf(d));
    }
    if (t.proxy() != null && !proxy0.keySet().equals(proxy1.keySet())) {
      split.add("(processes changed: " + proxy0.keySet() + " -> " + proxy1.keySet() + ")");
    }
    return new Run(t.name(), round, Long.parseLong(s.get("echoed")), Long.parseLong(s.get("nanos")) / 1e9,
        MicrosHistogram.decode(s.get("rtt")), proxyTicks, cpuSeconds, load1 - load0, up1 - up0,
        split.size() > 1 ? "ticks " + String.join("/", split) : "", Long.parseLong(s.get("lost")));
  }

  /** The machine's load averages over 1, 5 and 15 minutes ({@code /proc/loadavg}): others' work shows there. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException unknown) {
      return "?";
    }
  }

  private static long ticks(long pid) {
    long[] t = Proc.cpuTicks(pid);
    return t[0] + t[1];
  }

  /** The memory phase of one proxy: idle sessions opened through it, its memory before and after. */
  private Memory idle(ProxyUnderTest p) throws Exception {
    if (!Poll.until(Duration.ofSeconds(60), Duration.ofMillis(500), () -> upstream.stats().get("live").equals("0"))) {
      System.out.println("  the upstream still holds sessions: " + upstream.stats().get("live"));
    }
    long heapBefore = p.heapUsedAfterFullGc(); // wsgate: two full collections first; others: nothing
    HeapHistogram classesBefore = p.classHistogram();
    long directBefore = p.nettyDirectBytes();
    Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(2).toNanos());
    long rss0 = p.rssKiB();
    long pss0 = p.pssKiB();
    p.nativeMemory("baseline");

    int processes = (o.idle() + o.idlePerProcess() - 1) / o.idlePerProcess();
    List<LoadProcess> idle = new ArrayList<>();
    long opened = 0;
    long failed = 0;
    StringBuilder failures = new StringBuilder();
    try {
      for (int i = 0; i < processes; i++) {
        String sources = "127.0.0." + (2 + 2 * i) + ",127.0.0." + (3 + 2 * i);
        idle.add(LoadProcess.start(children, "idle-" + p.name().toLowerCase(Locale.ROOT) + "-" + (i + 1),
            CompareClients.class, List.of("--sources", sources), dir));
      }
      for (LoadProcess l : idle) {
        l.awaitReady(Duration.ofSeconds(60));
      }
      long start = System.nanoTime();
      int rate = Math.max(10, o.idleRate() / processes);
      for (int i = 0; i < processes; i++) {
        int n = o.idle() / processes + (i < o.idle() % processes ? 1 : 0);
        idle.get(i).send("idle 127.0.0.1:" + p.port() + " " + n + " " + rate);
      }
      // Bounded, generously: a shared machine may open far fewer than --idle-rate a second.
      Duration limit = Duration.ofSeconds(o.idle() / 20 + 120);
      for (LoadProcess l : idle) {
        Duration left = limit.minusNanos(System.nanoTime() - start);
        Map<String, String> r = StatsLine.parse(StatsLine.PREFIX + l.await("@@IDLE",
            left.isNegative() ? Duration.ofSeconds(1) : left));
        opened += Long.parseLong(r.get("open"));
        failed += Long.parseLong(r.get("failed"));
        if (!r.get("failures").isEmpty()) {
          failures.append(' ').append(r.get("failures"));
        }
      }
      System.out.printf(Locale.ROOT, "  %s: %d sessions open, %d failed%s, in %.1f s from %d processes%n", p.name(),
          opened, failed, failures, (System.nanoTime() - start) / 1e9, processes);
      Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(5).toNanos());
      long live = Long.parseLong(upstream.stats().get("live"));
      long rss1 = p.rssKiB();
      long pss1 = p.pssKiB();
      long rssHeld = -1;
      long pssHeld = -1;
      if (o.holdSeconds() > 0) {
        Poll.pauseUntil(System.nanoTime() + Duration.ofSeconds(o.holdSeconds()).toNanos());
        rssHeld = p.rssKiB();
        pssHeld = p.pssKiB();
      }
      printNativeMemory(p.nativeMemory("diff"));
      long heapAfter = p.heapUsedAfterFullGc();
      HeapHistogram classesAfter = p.classHistogram();
      long rssAfterGc = heapAfter < 0 ? -1 : p.rssKiB();
      if (classesAfter != null) {
        classesAfter.printGrowth(classesBefore, opened, GROWTH_SHOWN);
      }
      long directAfter = p.nettyDirectBytes();
      if (directAfter >= 0) {
        System.out.printf(Locale.ROOT, "  Netty direct memory: %.1f -> %.1f MiB (%.2f KiB a session)%n",
            directBefore / 1048576.0, directAfter / 1048576.0, (directAfter - directBefore) / 1024.0 / Math.max(1, opened));
      }
      return new Memory(p.name(), opened, rss0, rss1, pss0, pss1, heapBefore, heapAfter, rssAfterGc,
          rssHeld, pssHeld, live == opened ? "" : "upstream holds " + live + " sessions");
    } finally {
      for (LoadProcess l : idle) {
        l.stop();
      }
    }
  }

  /** The committed memory's change by category, from a Native Memory Tracking diff: the lines that changed. */
  private static void printNativeMemory(String diff) {
    diff.lines().filter(l -> l.contains("committed=") && l.contains("KB +") || l.startsWith("Total"))
        .map(String::strip).forEach(l -> System.out.println("    NMT " + l));
  }

  private static String describe(Run r) {
    double perMsg = 1e6 / Proc.TICKS_PER_SECOND / Math.max(1, r.echoed());
    boolean proxied = !r.path().equals("direct");
    return String.format(Locale.ROOT, "%-7s %5d %10.0f %9.2f %9.2f %11s %9s %11.1f %11.1f  %s%s", r.path(), r.round(),
        r.echoed() / r.seconds(), r.rtt().quantile(0.5) / 1000.0, r.rtt().quantile(0.99) / 1000.0,
        proxied ? String.format(Locale.ROOT, "%.1f", r.proxyTicks() * perMsg) : "-",
        proxied ? String.format(Locale.ROOT, "%.0f%%", r.proxyTicks() / r.cpuSeconds()) : "-",
        r.loadTicks() * perMsg, r.upstreamTicks() * perMsg, r.split(),
        r.lost() > 0 ? " (" + r.lost() + " connections lost)" : "");
  }

  private static String describe(Memory m) {
    long n = Math.max(1, m.sessions());
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
        "  %s: RSS %,d -> %,d KiB (%.1f KiB a session), PSS %,d -> %,d KiB (%.1f KiB a session)", m.proxy(),
        m.rssBefore(), m.rssAfter(), (m.rssAfter() - m.rssBefore()) / (double) n, m.pssBefore(), m.pssAfter(),
        (m.pssAfter() - m.pssBefore()) / (double) n));
    if (m.rssHeld() >= 0) {
      b.append(String.format(Locale.ROOT, "; held idle: RSS %,d KiB (%.1f KiB a session), PSS %,d KiB (%.1f KiB a"
          + " session)", m.rssHeld(), (m.rssHeld() - m.rssBefore()) / (double) n, m.pssHeld(),
          (m.pssHeld() - m.pssBefore()) / (double) n));
    }
    if (m.heapAfter() >= 0) {
      b.append(String.format(Locale.ROOT, "; heap in use after full GC %.1f -> %.1f MiB (%.2f KiB a session),"
          + " RSS after that GC %,d KiB (%.1f KiB a session over the start)", m.heapBefore() / 1048576.0,
          m.heapAfter() / 1048576.0, (m.heapAfter() - m.heapBefore()) / 1024.0 / n, m.rssAfterGc(),
          (m.rssAfterGc() - m.rssBefore()) / (double) n));
    }
    if (!m.note().isEmpty()) {
      b.append("; ").append(m.note());
    }
    return b.toString();
  }

  // ---- the table

  /** A path's figures over all rounds. */
  private record Sum(String path, long echoed, double seconds, long proxyTicks, MicrosHistogram rtt) {
    double messagesPerSecond() {
      return echoed / seconds;
    }

    double cpuMicrosPerMessage() {
      return proxyTicks * 1e6 / Proc.TICKS_PER_SECOND / Math.max(1, echoed);
    }
  }

  private Sum sum(String path) {
    long echoed = 0;
    double seconds = 0;
    long ticks = 0;
    MicrosHistogram rtt = new MicrosHistogram();
    for (Run r : runs) {
      if (r.path().equals(path)) {
        echoed += r.echoed();
        seconds += r.seconds();
        ticks += r.proxyTicks();
        rtt.add(r.rtt());
      }
    }
    return seconds == 0 ? null : new Sum(path, echoed, seconds, ticks, rtt);
  }

  private Memory memory(String proxy) {
    return memories.stream().filter(m -> m.proxy().equals(proxy)).findFirst().orElse(null);
  }

  private void printTable() {
    if (runs.isEmpty()) {
      return;
    }
    Sum direct = sum("direct");
    System.out.printf(Locale.ROOT, "%nAll rounds (%d x %d s a path; %d connections x %d messages of %d B in flight;"
        + " %d idle sessions a proxy):%n%n", o.rounds(), o.seconds(), o.connections(), o.window(), o.size(),
        o.idle());
    System.out.println("| path | proxy CPU µs / echoed message | messages/s | vs direct | RTT p50 | RTT p99"
        + " | RSS KiB / idle connection | PSS KiB / idle connection | RSS KiB / idle connection, held "
        + o.holdSeconds() + " s |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    List<String> rows = new ArrayList<>(List.of("nginx", "HAProxy", "wsgate", "direct"));
    for (String path : rows) {
      Sum s = sum(path);
      if (s == null) {
        continue;
      }
      Memory m = memory(path);
      System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %s | %.2f ms | %.2f ms | %s | %s | %s |%n", path,
          path.equals("direct") ? "-" : String.format(Locale.ROOT, "%.1f", s.cpuMicrosPerMessage()),
          s.messagesPerSecond(), direct == null ? "-" : String.format(Locale.ROOT, "%.2f",
              s.messagesPerSecond() / direct.messagesPerSecond()), s.rtt().quantile(0.5) / 1000.0,
          s.rtt().quantile(0.99) / 1000.0, m == null ? "-" : kib(m.rssAfter() - m.rssBefore(), m.sessions()),
          m == null ? "-" : kib(m.pssAfter() - m.pssBefore(), m.sessions()),
          m == null || m.rssHeld() < 0 ? "-" : kib(m.rssHeld() - m.rssBefore(), m.sessions()));
    }
    Sum w = sum("wsgate");
    Memory wm = memory("wsgate");
    for (String other : List.of("nginx", "HAProxy")) {
      Sum s = sum(other);
      if (w == null || s == null) {
        continue;
      }
      Memory om = memory(other);
      System.out.printf(Locale.ROOT, "| wsgate / %s | %.2f | %.2f | | %.2f | %.2f | %s | %s | %s |%n", other,
          w.cpuMicrosPerMessage() / s.cpuMicrosPerMessage(), w.messagesPerSecond() / s.messagesPerSecond(),
          (double) w.rtt().quantile(0.5) / s.rtt().quantile(0.5),
          (double) w.rtt().quantile(0.99) / s.rtt().quantile(0.99),
          ratio(wm == null || om == null ? null : new long[] {wm.rssAfter() - wm.rssBefore(), wm.sessions(),
              om.rssAfter() - om.rssBefore(), om.sessions()}),
          ratio(wm == null || om == null ? null : new long[] {wm.pssAfter() - wm.pssBefore(), wm.sessions(),
              om.pssAfter() - om.pssBefore(), om.sessions()}),
          ratio(wm == null || om == null || wm.rssHeld() < 0 || om.rssHeld() < 0 ? null : new long[] {
              wm.rssHeld() - wm.rssBefore(), wm.sessions(), om.rssHeld() - om.rssBefore(), om.sessions()}));
    }
    if (wm != null && wm.heapAfter() >= 0) {
      System.out.printf(Locale.ROOT, "%nwsgate live heap per idle session (after full GC): %.2f KiB%n",
          (wm.heapAfter() - wm.heapBefore()) / 1024.0 / Math.max(1, wm.sessions()));
    }
    System.out.println("\nFigures of one run on this machine; only ratios within a run mean anything.");
  }

  private static String kib(long delta, long sessions) {
    return sessions <= 0 ? "-" : String.format(Locale.ROOT, "%.1f", delta / (double) sessions);
  }

  private static String ratio(long[] v) {
    if (v == null || v[1] <= 0 || v[3] <= 0 || v[2] == 0) {
      return "";
    }
    return String.format(Locale.ROOT, "%.2f", ((double) v[0] / v[1]) / ((double) v[2] / v[3]));
  }
}
