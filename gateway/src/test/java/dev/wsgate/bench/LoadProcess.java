package dev.wsgate.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A load process of the soak ({@link ChurnClients} or {@link ChurnUpstream}) in a JVM of its own, lean (one event
 * loop, serial GC), on this JVM's class path. Commands go to its stdin; its {@code @@} answers come back on stdout;
 * anything else it prints goes to {@code NAME.log}.
 */
final class LoadProcess {

  private final String name;
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

  private LoadProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
  }

  static LoadProcess start(Children children, String name, Class<?> main, List<String> args, Path dir)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:CICompilerCount=2",
        "-Dio.netty.leakDetection.level=disabled", "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(args);
    Process p = children.add(new ProcessBuilder(command).redirectErrorStream(true).start());
    LoadProcess load = new LoadProcess(name, p);
    Path log = dir.resolve(name + ".log");
    Thread reader = new Thread(() -> load.readOutput(log), name + "-output");
    reader.setDaemon(true);
    reader.start();
    return load;
  }

  private void readOutput(Path log) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8)); Writer w = Files.newBufferedWriter(log)) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("@@")) {
          answers.add(line);
        } else {
          w.write(line);
          w.write('\n');
          w.flush();
        }
      }
    } catch (IOException ended) {
      // the process ended
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  /** Waits for the process's {@code @@READY key=value} line and returns its values. */
  Map<String, String> awaitReady(Duration timeout) throws InterruptedException {
    String line = answers.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (line == null || !line.startsWith("@@READY ")) {
      throw new IllegalStateException(name + " did not start within " + timeout + " (see its log): " + line);
    }
    return StatsLine.parse("@@STATS " + line.substring("@@READY ".length()));
  }

  void send(String command) throws IOException {
    stdin.write(command);
    stdin.write('\n');
    stdin.flush();
  }

  /** Asks for the process's figures and waits for them (at most 30 s). */
  Map<String, String> stats() throws IOException, InterruptedException {
    return StatsLine.parse(StatsLine.PREFIX + ask("stats", StatsLine.PREFIX.strip(), Duration.ofSeconds(30)));
  }

  /**
   * Sends a command and waits, at most {@code timeout}, for the answer that starts with {@code prefix} (such as
   * {@code @@STATS}); returns the rest of that line after the prefix and a space. Earlier answers are dropped.
   */
  String ask(String command, String prefix, Duration timeout) throws IOException, InterruptedException {
    answers.clear();
    send(command);
    return await(prefix, timeout, command);
  }

  /**
   * Waits, at most {@code timeout}, for an answer that starts with {@code prefix} (one that came before counts;
   * others met on the way are dropped); returns the rest of the line, as {@link #ask}.
   */
  String await(String prefix, Duration timeout) throws InterruptedException {
    return await(prefix, timeout, "with " + prefix);
  }

  private String await(String prefix, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String line = answers.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new IllegalStateException(name + " did not answer " + what + " within " + timeout + " (alive: "
            + process.isAlive() + "; see its log)");
      }
      if (line.equals(prefix) || line.startsWith(prefix + " ")) {
        return line.substring(prefix.length()).strip();
      }
    }
  }

  void stop() throws InterruptedException {
    try {
      send("quit");
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException gone) {
      // it has ended already
    }
    Children.stop(process);
  }
}
