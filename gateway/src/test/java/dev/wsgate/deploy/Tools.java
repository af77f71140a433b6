package dev.wsgate.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The programs the deploy tests run (podman, runc, debootstrap, nginx, haproxy), and what to do when one is
 * missing or cannot run here: outside CI the test is skipped with a message that says what to install or how to
 * run it; with {@code CI=true} (where {@code .ci/run} installs everything and runs as root) it fails instead.
 */
public final class Tools {

  private Tools() {
  }

  public static boolean inCi() {
    return "true".equals(System.getenv("CI"));
  }

  /** The executable: in /usr/sbin, /usr/bin or on PATH; else a skip (or, in CI, a failure). */
  public static Path require(String program, String debianPackage) {
    for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
      Path p = Path.of(dir, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          Path p = Path.of(dir, program);
          if (Files.isRegularFile(p) && Files.isExecutable(p)) {
            return p;
          }
        }
      }
    }
    cannotRun("no " + program + " in /usr/sbin, /usr/bin nor on PATH",
        "install the Debian package(s): apt-get install " + debianPackage + " (.ci/run installs them)");
    return null; // not reached
  }

  /** True when this JVM runs as root (uid 0). */
  public static boolean isRoot() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** A skip (or, in CI, a failure) unless this JVM runs as root. */
  public static void requireRoot(String why) {
    if (!isRoot()) {
      cannotRun("not root (" + System.getProperty("user.name") + "), and " + why,
          "run the tests as root, as .ci/run does");
    }
  }

  /** Skips, saying why and what would make the test run; with {@code CI=true}, fails. */
  public static void cannotRun(String what, String remedy) {
    if (inCi()) {
      fail("CI=true and this test cannot run: " + what + "; " + remedy);
    }
    System.out.println("[deploy] skipped: " + what);
    Assumptions.abort("skipped: " + what + "; to run this test, " + remedy
        + " (with CI=true this fails instead of skipping)");
  }

  /** A finished command: its exit code and what it printed. */
  public record Run(List<String> command, int exitCode, String out, String err, Duration took) {

    public boolean ok() {
      return exitCode == 0;
    }

    /** For failure messages. */
    public String describe() {
      return "$ " + String.join(" ", command) + "\nexit " + exitCode + " after " + took.toMillis() + " ms\n--- stdout:\n"
          + tail(out) + "\n--- stderr:\n" + tail(err);
    }

    private static String tail(String s) {
      return s.length() <= 20_000 ? s : "(... " + (s.length() - 20_000) + " chars before)\n"
          + s.substring(s.length() - 20_000);
    }
  }

  /**
   * Runs a command to its end, at most {@code timeout} (then it is killed, with its descendants, by process id,
   * and the run fails); stdout and stderr go to files in {@code dir}, so that a chatty command never blocks on a
   * full pipe.
   */
  public static Run run(Path dir, Duration timeout, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    return run(dir, timeout, env, false, command);
  }

  /** As {@link #run}, with exactly {@code environment} instead of this JVM's environment plus some. */
  public static Run runWithEnvironment(Path dir, Duration timeout, Map<String, String> environment,
      List<String> command) throws IOException, InterruptedException {
    return run(dir, timeout, environment, true, command);
  }

  private static Run run(Path dir, Duration timeout, Map<String, String> env, boolean replace, List<String> command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "out-", ".txt");
    Path err = Files.createTempFile(dir, "err-", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (replace) {
      pb.environment().clear();
    }
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        Run partial = new Run(command, -1, read(out), read(err), Duration.ofNanos(System.nanoTime() - start));
        throw new AssertionError("not finished within " + timeout + ":\n" + partial.describe());
      }
      return new Run(command, p.exitValue(), read(out), read(err), Duration.ofNanos(System.nanoTime() - start));
    } finally {
      if (p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Deletes a directory tree that tests made (no mount points inside), or a file; nothing if it is not there. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
