package dev.wsgate.peers;

import dev.wsgate.testing.Awaits;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * An external peer (a Python script, a browser) run by a test: its stdout and stderr are read line by line (UTF-8)
 * as they come, kept for the test to wait on and read, and copied to the test output with the peer's name. Every
 * wait is bounded; {@link #close()} ends the process and every child process it was seen to have, by id.
 */
public final class PeerProcess implements AutoCloseable {

  private static final Duration END_GRACE = Duration.ofSeconds(5);

  private final String name;
  private final Process process;
  private final List<String> out = new ArrayList<>();
  private final List<String> err = new ArrayList<>();
  private final Set<ProcessHandle> seenDescendants = new LinkedHashSet<>();
  private final Thread outPump;
  private final Thread errPump;

  private PeerProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.outPump = pump(process.getInputStream(), out, "out");
    this.errPump = pump(process.getErrorStream(), err, "err");
  }

  /** Starts {@code command} in {@code dir}, with the environment of this JVM plus {@code env}. */
  public static PeerProcess start(String name, List<String> command, Map<String, String> env, Path dir)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().putAll(env);
    System.out.println("[" + name + "] starting: " + String.join(" ", command));
    return new PeerProcess(name, pb.start());
  }

  private Thread pump(InputStream stream, List<String> lines, String which) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (lines) {
            lines.add(line);
          }
          String shown = line.length() > 300 ? line.substring(0, 300) + "... (" + line.length() + " chars)" : line;
          System.out.println("[" + name + ":" + which + "] " + shown);
        }
      } catch (IOException e) {
        // the stream ends with the process
      }
    }, "peer-" + name + "-" + which);
    t.setDaemon(true);
    t.start();
    return t;
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  /** Writes one line (UTF-8) to the peer's stdin. */
  public void writeLine(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  public void closeStdin() throws IOException {
    process.getOutputStream().close();
  }

  /** What the peer has written to stdout so far. */
  public List<String> stdout() {
    synchronized (out) {
      return List.copyOf(out);
    }
  }

  /** What the peer has written to stderr so far. */
  public List<String> stderr() {
    synchronized (err) {
      return List.copyOf(err);
    }
  }

  /** Waits, at most {@code timeout}, for a stdout line that matches, and returns it. */
  public String awaitStdout(String what, Predicate<String> matches, Duration timeout) throws InterruptedException {
    return awaitLine(out, what, matches, timeout);
  }

  /** Waits, at most {@code timeout}, for a stderr line that matches, and returns it. */
  public String awaitStderr(String what, Predicate<String> matches, Duration timeout) throws InterruptedException {
    return awaitLine(err, what, matches, timeout);
  }

  private String awaitLine(List<String> lines, String what, Predicate<String> matches, Duration timeout)
      throws InterruptedException {
    String[] found = new String[1];
    try {
      Awaits.until(name + ": " + what, timeout, () -> {
        noteDescendants();
        synchronized (lines) {
          for (String l : lines) {
            if (matches.test(l)) {
              found[0] = l;
              return true;
            }
          }
        }
        return !process.isAlive() && pumpsDone();
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + transcript(), e);
    }
    if (found[0] == null) {
      throw new AssertionError(name + " exited (code " + process.exitValue() + ") before: " + what + "\n"
          + transcript());
    }
    return found[0];
  }

  /** Waits, at most {@code timeout}, for the process to exit and its output to be read; returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    try {
      Awaits.until(name + " exited", timeout, () -> {
        noteDescendants();
        return !process.isAlive() && pumpsDone();
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + transcript(), e);
    }
    return process.exitValue();
  }

  private boolean pumpsDone() {
    return !outPump.isAlive() && !errPump.isAlive();
  }

  /** Child processes outlive their parent's exit as orphans, no longer its descendants: note them while we can. */
  private void noteDescendants() {
    process.descendants().forEach(d -> {
      synchronized (seenDescendants) {
        seenDescendants.add(d);
      }
    });
  }

  /** Everything the peer printed, for failure messages. */
  public String transcript() {
    StringBuilder b = new StringBuilder("---- ").append(name).append(" stdout\n");
    stdout().forEach(l -> b.append(l).append('\n'));
    b.append("---- ").append(name).append(" stderr\n");
    stderr().forEach(l -> b.append(l).append('\n'));
    return b.append("----").toString();
  }

  /** Child processes noted while the test waited on this one that are still running. */
  public List<ProcessHandle> liveDescendantsSeen() {
    noteDescendants();
    synchronized (seenDescendants) {
      return seenDescendants.stream().filter(ProcessHandle::isAlive).toList();
    }
  }

  /** Ends the process and the children it was seen to have (politely, then forcibly), each wait bounded. */
  @Override
  public void close() {
    try {
      end();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  private void end() throws InterruptedException {
    noteDescendants();
    List<ProcessHandle> all = new ArrayList<>();
    all.add(process.toHandle());
    synchronized (seenDescendants) {
      all.addAll(seenDescendants);
    }
    for (ProcessHandle h : all) {
      if (h.isAlive()) {
        h.destroy();
      }
    }
    for (ProcessHandle h : all) {
      if (!awaitEnd(h)) {
        h.destroyForcibly();
        if (!awaitEnd(h)) {
          System.out.println("[" + name + "] process " + h.pid() + " survived SIGKILL for " + END_GRACE);
        }
      }
    }
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // already closed
    }
    outPump.join(END_GRACE.toMillis());
    errPump.join(END_GRACE.toMillis());
  }

  private static boolean awaitEnd(ProcessHandle h) throws InterruptedException {
    try {
      h.onExit().get(END_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return !h.isAlive();
    }
  }

  /** The exit code, when the process has exited. */
  public Optional<Integer> exitCode() {
    return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
  }
}
