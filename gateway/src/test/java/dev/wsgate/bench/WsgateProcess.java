package dev.wsgate.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * wsgate as its own process ({@code target/wsgate.jar}), as it runs in production, with the soak's configuration
 * in a file and Netty's leak detection at {@code advanced} (sampled). Its output goes to {@code wsgate.log}; the
 * {@code LEAK:} reports, WARN and ERROR lines in it are counted on the way.
 */
final class WsgateProcess {

  private final Process process;
  private final int port;
  private final int adminPort;
  private final List<String> command;
  private final CountDownLatch started = new CountDownLatch(1);
  private final AtomicInteger leaks = new AtomicInteger();
  private final AtomicInteger warnings = new AtomicInteger();
  private final AtomicInteger errors = new AtomicInteger();
  private final List<String> firstLeak = new ArrayList<>();

  private WsgateProcess(Process process, int port, int adminPort, List<String> command) {
    this.process = process;
    this.port = port;
    this.adminPort = adminPort;
    this.command = command;
  }

  /**
   * Starts wsgate in front of the given upstream ports: heartbeat 1 s / 3 s on both legs (intermediaries'
   * idle timeout 5 s, so that the configuration is valid), the upstreams balanced by least sessions.
   */
  static WsgateProcess start(Children children, SoakOptions o, List<Integer> upstreamPorts, Path dir)
      throws IOException {
    int port = freePort();
    int admin = freePort();
    String config = "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:" + admin + "\n"
        + "  max-connections: " + o.maxConnections() + "\n"
        + "heartbeat:\n  interval: 1s\n  timeout: 3s\n"
        + "intermediaries:\n  idle-timeout: 5s\n"
        + "shutdown:\n  drain-timeout: 0\n"
        + "routes:\n  - path: /\n    balance: least-sessions\n    upstreams: ["
        + upstreamPorts.stream().map(p -> "\"ws://127.0.0.1:" + p + "\"").collect(Collectors.joining(", "))
        + "]\n";
    return start(children, port, admin, config, List.of("-Xms256m", "-Xmx1g",
        "-Dio.netty.leakDetection.level=advanced"), dir);
  }

  /**
   * Starts wsgate with the given configuration (written to {@code dir/wsgate.yaml}; it must listen on
   * {@code 127.0.0.1:port} and serve admin on {@code adminPort}) and JVM options, followed by those of the
   * {@code wsgate.jvmArgs} system property.
   */
  static WsgateProcess start(Children children, int port, int adminPort, String configYaml, List<String> jvmOptions,
      Path dir) throws IOException {
    return start(children, port, adminPort, configYaml, jvmOptions, Map.of(), dir);
  }

  /** As {@link #start(Children, int, int, String, List, Path)}, with variables added to wsgate's environment. */
  static WsgateProcess start(Children children, int port, int adminPort, String configYaml, List<String> jvmOptions,
      Map<String, String> environment, Path dir) throws IOException {
    Path config = dir.resolve("wsgate.yaml");
    Files.writeString(config, configYaml);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString()));
    command.addAll(jvmOptions);
    String extra = System.getProperty("wsgate.jvmArgs", "").strip(); // e.g. a JFR recording, for profiling
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.addAll(List.of("-jar", jar().toString(), "--config", config.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process p = children.add(builder.start());
    WsgateProcess w = new WsgateProcess(p, port, adminPort, command);
    Thread reader = new Thread(() -> w.readOutput(dir.resolve("wsgate.log")), "wsgate-output");
    reader.setDaemon(true);
    reader.start();
    return w;
  }

  private void readOutput(Path log) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8)); Writer w = Files.newBufferedWriter(log)) {
      int leakLines = 0;
      for (String line; (line = r.readLine()) != null; ) {
        w.write(line);
        w.write('\n');
        if (line.contains(" started")) {
          started.countDown();
          w.flush();
        }
        if (line.contains("LEAK:")) {
          leaks.incrementAndGet();
          w.flush();
          leakLines = 12;
        }
        if (leakLines > 0) {
          leakLines--;
          synchronized (firstLeak) {
            if (firstLeak.size() < 12) {
              firstLeak.add(line);
            }
          }
        }
        if (line.contains(" WARN ")) {
          warnings.incrementAndGet();
        } else if (line.contains(" ERROR ")) {
          errors.incrementAndGet();
        }
      }
    } catch (IOException ended) {
      // the process ended
    }
  }

  void awaitStarted(Duration timeout) throws InterruptedException {
    if (!started.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("wsgate did not start within " + timeout + " (alive: " + process.isAlive()
          + "); see wsgate.log");
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  Process process() {
    return process;
  }

  String commandLine() {
    return String.join(" ", command);
  }

  AdminMetrics metrics() throws IOException, InterruptedException {
    return AdminMetrics.scrape(adminPort);
  }

  int openFiles() throws IOException {
    return Proc.openFiles(process.pid());
  }

  /** Two full collections ({@code jcmd PID GC.run}), then the heap in use ({@code GC.heap_info}), in bytes. */
  long heapUsedAfterFullGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    jcmd("GC.run");
    return HeapInfo.usedBytes(jcmd("GC.heap_info"));
  }

  /**
   * Native Memory Tracking, when the JVM runs with {@code -XX:NativeMemoryTracking=summary} (in
   * {@code wsgate.jvmArgs}): {@code baseline} takes a baseline and gives nothing; {@code diff} gives the committed
   * memory's change by category since then. Empty when tracking is off.
   */
  String nativeMemory(String what) throws IOException, InterruptedException {
    if (!commandLine().contains("NativeMemoryTracking")) {
      return "";
    }
    return jcmd("VM.native_memory " + ("baseline".equals(what) ? "baseline" : "summary.diff scale=KB"));
  }

  /** Live objects by class, after a full collection. */
  HeapHistogram classHistogram() throws IOException, InterruptedException {
    return HeapHistogram.of(process.pid());
  }

  private String jcmd(String what) throws IOException, InterruptedException {
    Path out = Files.createTempFile("wsgate-jcmd", ".txt");
    try {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd")
          .toString(), String.valueOf(process.pid())));
      command.addAll(List.of(what.split(" ")));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      boolean done = p.waitFor(60, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      String text = Files.readString(out);
      if (!done || p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + what + " failed: " + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  int leaks() {
    return leaks.get();
  }

  List<String> firstLeak() {
    synchronized (firstLeak) {
      return List.copyOf(firstLeak);
    }
  }

  int warnings() {
    return warnings.get();
  }

  int errors() {
    return errors.get();
  }

  boolean alive() {
    return process.isAlive();
  }

  void stop() {
    Children.stop(process);
  }

  /** Where the soak writes wsgate's configuration and the processes' output: next to the jar. */
  static Path outputDirectory() throws IOException {
    return Files.createDirectories(jar().getParent().resolve("churn-soak"));
  }

  /** The packaged wsgate, from the module's directory or the repository's (where a benchmark may run). */
  static Path jar() {
    Path jar = Path.of("target", "wsgate.jar");
    if (!Files.exists(jar)) {
      jar = Path.of("gateway", "target", "wsgate.jar");
    }
    if (!Files.exists(jar)) {
      throw new IllegalStateException("no wsgate.jar: run mvn -pl gateway -am package -DskipTests first");
    }
    return jar.toAbsolutePath();
  }

  /** A free port on this machine right now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
