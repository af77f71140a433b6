package dev.wsgate.bench;

import dev.wsgate.deploy.DeployFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One proxy of {@link ProxyComparison} in front of the echo upstream, as processes of its own on a free loopback
 * port: wsgate ({@code target/wsgate.jar}, its defaults but for the addresses), nginx (a master and its workers)
 * or HAProxy (one process, threads). Its figures are those of all its processes: the one started and every
 * descendant alive at the time of reading ({@code /proc}).
 */
abstract class ProxyUnderTest {

  private final String name;
  private final int port;
  private final Process process;
  private final String version;
  private final String describe;

  ProxyUnderTest(String name, int port, Process process, String version, String describe) {
    this.name = name;
    this.port = port;
    this.process = process;
    this.version = version;
    this.describe = describe;
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  String version() {
    return version;
  }

  /** How it was started: command and configuration, in a line or a few. */
  String describe() {
    return describe;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** The process started and its descendants alive now (nginx's workers; none for wsgate and HAProxy). */
  List<ProcessHandle> processes() {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(process.toHandle());
    process.descendants().forEach(all::add);
    return all;
  }

  /** User plus system CPU time of each process now, in clock ticks, by pid. */
  Map<Long, Long> cpuTicksByPid() {
    Map<Long, Long> ticks = new LinkedHashMap<>();
    for (ProcessHandle p : processes()) {
      long[] t = Proc.cpuTicks(p.pid());
      ticks.put(p.pid(), t[0] + t[1]);
    }
    return ticks;
  }

  /** Sum of VmRSS of all its processes, in KiB. */
  long rssKiB() {
    return processes().stream().mapToLong(p -> Math.max(0, Proc.statusKiB(p.pid(), "VmRSS"))).sum();
  }

  /** Sum of Pss of all its processes ({@code smaps_rollup}), in KiB; -1 when the kernel does not tell. */
  long pssKiB() {
    long sum = 0;
    for (ProcessHandle p : processes()) {
      long pss = Proc.smapsRollupKiB(p.pid(), "Pss");
      if (pss < 0) {
        return -1;
      }
      sum += pss;
    }
    return sum;
  }

  /** Waits until it accepts TCP connections on its port. */
  void awaitListening(Duration timeout) throws Exception {
    boolean up = Poll.until(timeout, Duration.ofMillis(100), () -> {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " ended at start (exit " + process.exitValue() + "); see its log");
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return true;
      } catch (IOException notYet) {
        return false;
      }
    });
    if (!up) {
      throw new IllegalStateException(name + " did not listen on " + port + " within " + timeout);
    }
  }

  void stop() {
    Children.stop(process);
  }

  /** For wsgate: heap in use after two full collections, in bytes; -1 for the others. */
  long heapUsedAfterFullGc() throws IOException, InterruptedException {
    return -1;
  }

  /** For wsgate: Netty's direct memory in use ({@code wsgate_netty_direct_memory_used_bytes}); -1 for the others. */
  long nettyDirectBytes() throws IOException, InterruptedException {
    return -1;
  }

  /** For wsgate under Native Memory Tracking: see {@link WsgateProcess#nativeMemory}; empty for the others. */
  String nativeMemory(String what) throws IOException, InterruptedException {
    return "";
  }

  /** For wsgate: live objects by class, after a full collection; null for the others. */
  HeapHistogram classHistogram() throws IOException, InterruptedException {
    return null;
  }

  // ---- the three proxies

  static ProxyUnderTest wsgate(Children children, int upstreamPort, int maxConnections, Path dir) throws Exception {
    int port = WsgateProcess.freePort();
    int admin = WsgateProcess.freePort();
    // Its defaults (heartbeat 25 s / 40 s, upstream 20 s / 30 s, intermediaries' idle timeout 60 s) but for the
    // addresses; max-connections only when the idle sessions need more than the default 10,000.
    String config = "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:" + admin + "\n"
        + (maxConnections > 10_000 ? "  max-connections: " + maxConnections + "\n" : "")
        + "routes:\n  - path: /\n    upstreams: [\"ws://127.0.0.1:" + upstreamPort + "\"]\n";
    Path own = Files.createDirectories(dir.resolve("wsgate"));
    // The JVM options of deploy/Dockerfile, as it ships.
    WsgateProcess w = WsgateProcess.start(children, port, admin, config, DeployFiles.imageJvmOptions(), own);
    String version = run(Duration.ofSeconds(60), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", WsgateProcess.jar().toString(), "--version").lines().collect(Collectors.joining("; "));
    ProxyUnderTest p = new ProxyUnderTest("wsgate", port, w.process(), version,
        w.commandLine() + "\n" + indent(config)) {
      @Override
      long heapUsedAfterFullGc() throws IOException, InterruptedException {
        return w.heapUsedAfterFullGc();
      }

      @Override
      HeapHistogram classHistogram() throws IOException, InterruptedException {
        return w.classHistogram();
      }

      @Override
      String nativeMemory(String what) throws IOException, InterruptedException {
        return w.nativeMemory(what);
      }

      @Override
      long nettyDirectBytes() throws IOException, InterruptedException {
        return (long) w.metrics().sum("wsgate_netty_direct_memory_used_bytes");
      }
    };
    w.awaitStarted(Duration.ofSeconds(60));
    return p;
  }

  static ProxyUnderTest nginx(Children children, String binary, int workers, int upstreamPort, int openFiles,
      Path dir) throws Exception {
    int port = WsgateProcess.freePort();
    Path prefix = Files.createDirectories(dir.resolve("nginx"));
    Files.createDirectories(prefix.resolve("tmp"));
    // As deploy/nginx/nginx.conf, with what a benchmark needs: foreground, a master whose workers are its children,
    // no access log, timeouts of an hour, SO_REUSEPORT so that the kernel spreads connections over the workers.
    String config = "daemon off;\n"
        + "master_process on;\n"
        + "worker_processes " + workers + ";\n"
        + "worker_rlimit_nofile " + openFiles + ";\n"
        + "pid nginx.pid;\n"
        + "error_log error.log warn;\n"
        + "events {\n  worker_connections " + (openFiles - 100) + ";   # each session holds two\n}\n"
        + "http {\n"
        + "  access_log off;\n"
        + "  client_body_temp_path tmp/client_body;\n  proxy_temp_path tmp/proxy;\n  fastcgi_temp_path tmp/fastcgi;\n"
        + "  uwsgi_temp_path tmp/uwsgi;\n  scgi_temp_path tmp/scgi;\n"
        + "  map $http_upgrade $connection_upgrade {\n    default upgrade;\n    ''      close;\n  }\n"
        + "  server {\n"
        + "    listen 127.0.0.1:" + port + " reuseport;\n"
        + "    location / {\n"
        + "      proxy_pass http://127.0.0.1:" + upstreamPort + ";\n"
        + "      proxy_http_version 1.1;\n"
        + "      proxy_set_header Upgrade $http_upgrade;\n"
        + "      proxy_set_header Connection $connection_upgrade;\n"
        + "      proxy_set_header Host $host;\n"
        + "      proxy_buffering off;\n"
        + "      proxy_connect_timeout 5s;\n"
        + "      proxy_read_timeout 3600s;\n"
        + "      proxy_send_timeout 3600s;\n"
        + "    }\n"
        + "  }\n"
        + "}\n";
    Files.writeString(prefix.resolve("nginx.conf"), config);
    List<String> command = List.of(binary, "-p", prefix + "/", "-c", "nginx.conf", "-e",
        prefix.resolve("error.log").toString());
    String version = run(Duration.ofSeconds(30), binary, "-v").strip();
    Process p = children.add(new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(prefix.resolve("output.log").toFile()).start());
    ProxyUnderTest proxy = new ProxyUnderTest("nginx", port, p, version, String.join(" ", command) + "\n"
        + indent(config)) { };
    proxy.awaitListening(Duration.ofSeconds(30));
    boolean workersUp = Poll.until(Duration.ofSeconds(10), Duration.ofMillis(100),
        () -> proxy.processes().size() == 1 + workers);
    if (!workersUp) {
      throw new IllegalStateException("nginx has " + (proxy.processes().size() - 1) + " workers, not " + workers);
    }
    return proxy;
  }

  static ProxyUnderTest haproxy(Children children, String binary, int threads, int upstreamPort, int openFiles,
      Path dir) throws Exception {
    int port = WsgateProcess.freePort();
    Path own = Files.createDirectories(dir.resolve("haproxy"));
    int maxconn = (openFiles - 100) / 2;
    // As deploy/haproxy/haproxy.cfg, with what a benchmark needs: no health checks, no log, timeouts of an hour.
    String config = "global\n"
        + "  nbthread " + threads + "\n"
        + "  maxconn " + maxconn + "                 # each session holds two connections\n"
        + "defaults\n"
        + "  mode http\n"
        + "  maxconn " + maxconn + "\n"
        + "  timeout connect 5s\n"
        + "  timeout http-request 10s\n"
        + "  timeout client 3600s\n"
        + "  timeout server 3600s\n"
        + "  timeout tunnel 3600s\n"
        + "  timeout client-fin 5s\n"
        + "  timeout server-fin 5s\n"
        + "frontend ws\n"
        + "  bind 127.0.0.1:" + port + "\n"
        + "  default_backend echo\n"
        + "backend echo\n"
        + "  server echo-1 127.0.0.1:" + upstreamPort + "\n";
    Path cfg = own.resolve("haproxy.cfg");
    Files.writeString(cfg, config);
    List<String> command = List.of(binary, "-f", cfg.toString(), "-db");
    String version = run(Duration.ofSeconds(30), binary, "-v").lines().findFirst().orElse("?");
    Process p = children.add(new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(own.resolve("output.log").toFile()).start());
    ProxyUnderTest proxy = new ProxyUnderTest("HAProxy", port, p, version, String.join(" ", command) + "\n"
        + indent(config)) { };
    proxy.awaitListening(Duration.ofSeconds(30));
    return proxy;
  }

  private static String indent(String text) {
    return text.lines().map(l -> "    " + l).collect(Collectors.joining("\n"));
  }

  /** Runs a short command and returns its output (stdout and stderr), waiting at most {@code timeout}. */
  static String run(Duration timeout, String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("proxy-compare", ".txt");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not end within " + timeout);
      }
      return Files.readString(out);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** The soft limit of open files of this process, which the proxies inherit ({@code /proc/self/limits}). */
  static int openFilesLimit() throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/limits"))) {
      return lines.filter(l -> l.startsWith("Max open files")).map(l -> l.split("\\s{2,}")[1])
          .map(Integer::parseInt).findFirst().orElse(20_000);
    }
  }
}
