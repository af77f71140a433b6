package dev.wsgate.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The packaged {@code wsgate.jar} running as a process of its own, as a user runs it: its output collected line by
 * line, every wait bounded, and the process killed on {@link #close()} if it is still alive.
 *
 * <p>SIGINT: a process started while SIGINT is ignored (as by a shell for a background job) keeps ignoring it, and
 * the JVM then installs no handler for it. So the jar starts under {@code env --default-signal=INT} where
 * {@code env} supports it (GNU coreutils 8.31 and later), which restores the default first.
 */
public final class JarProcess implements AutoCloseable {

  /** The jar, relative to the module directory (where Maven runs the tests). */
  public static final Path JAR = Path.of("target", "wsgate.jar");

  private static final boolean ENV_RESETS_SIGINT = envResetsSigint();

  private final Process process;
  private final List<String> out = new ArrayList<>();
  private final List<String> err = new ArrayList<>();
  private final Thread outReader;
  private final Thread errReader;

  private JarProcess(Process process) {
    this.process = process;
    this.outReader = reader(process.getInputStream(), out, "stdout");
    this.errReader = reader(process.getErrorStream(), err, "stderr");
  }

  /**
   * Starts {@code java -jar target/wsgate.jar ARGS}. The environment is the test's, without any {@code WSGATE_}
   * variable, plus {@code env}.
   */
  public static JarProcess start(Map<String, String> env, String... args) throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new AssertionError(JAR.toAbsolutePath() + " is missing: the jar is built by `mvn package`, before the "
          + "integration tests run");
    }
    List<String> command = new ArrayList<>();
    if (ENV_RESETS_SIGINT) {
      command.addAll(List.of("env", "--default-signal=INT"));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dio.netty.leakDetection.level=paranoid"); // as the tests' own JVM (wsgate's default: off)
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("WSGATE_"));
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return new JarProcess(pb.start());
  }

  /** A free port on loopback right now (bound to port 0, read, closed). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public long pid() {
    return process.pid();
  }

  /** Waits, at most {@code timeout}, for a line on stdout that {@code matches}, and returns it. */
  public String awaitStdout(String what, Duration timeout, Predicate<String> matches) throws InterruptedException {
    String[] found = new String[1];
    try {
      Awaits.until(what, timeout, () -> {
        for (String line : stdoutLines()) {
          if (matches.test(line)) {
            found[0] = line;
            return true;
          }
        }
        return !process.isAlive() && !outReader.isAlive();
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + describe(), e);
    }
    if (found[0] == null) {
      throw new AssertionError("wsgate ended before: " + what + "\n" + describe());
    }
    return found[0];
  }

  /** Sends SIGINT, as Ctrl-C in a terminal does. */
  public void sigint() throws IOException, InterruptedException {
    signal("INT");
  }

  /** Sends a signal by name: {@code INT}, {@code TERM}, {@code HUP}. */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true)
        .start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      kill.destroyForcibly();
      throw new AssertionError("kill -" + name + " " + process.pid() + " failed: "
          + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /**
   * True when this process ignores SIGINT (read from {@code /proc}; false where there is no {@code /proc}), in which
   * case SIGINT cannot stop it whatever wsgate does.
   */
  public boolean ignoresSigint() throws IOException {
    Path status = Path.of("/proc", Long.toString(process.pid()), "status");
    if (!Files.isReadable(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16);
        return (mask & (1L << (2 - 1))) != 0; // SIGINT is signal 2
      }
    }
    return false;
  }

  /** Waits, at most {@code timeout}, for the process to end, and returns its exit code; fails if it does not end. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("wsgate (pid " + process.pid() + ") still running " + timeout + " later\n"
          + describe());
    }
    outReader.join(TimeUnit.SECONDS.toMillis(10));
    errReader.join(TimeUnit.SECONDS.toMillis(10));
    return process.exitValue();
  }

  public List<String> stdoutLines() {
    synchronized (out) {
      return new ArrayList<>(out);
    }
  }

  public List<String> stderrLines() {
    synchronized (err) {
      return new ArrayList<>(err);
    }
  }

  /** What the process printed so far, for failure messages. */
  public String describe() {
    return "--- wsgate stdout:\n" + String.join("\n", stdoutLines()) + "\n--- wsgate stderr:\n"
        + String.join("\n", stderrLines());
  }

  /** Kills the process if it is still alive (SIGKILL), and waits at most 10 s for it to end. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Thread reader(InputStream in, List<String> lines, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (lines) {
            lines.add(line);
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "wsgate-jar-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static boolean envResetsSigint() {
    try {
      Process p = new ProcessBuilder("env", "--default-signal=INT", "true")
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
