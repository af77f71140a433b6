package dev.wsgate.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Silent death as the kernel sees it: {@code iptables} DROP rules on the loopback interface for every packet from or
 * to one TCP port (match a connection by its port on the side that is not a listener: a rule on a listen port would
 * also drop new connections), so nothing is acknowledged and neither end gets a FIN or a RST. Closing deletes the
 * rules; a shutdown hook deletes them should the JVM be stopped first.
 *
 * <p>Needs root and {@code iptables}: {@link #requireOrSkip} skips a test without them, except under {@code CI=true},
 * where it fails.
 */
public final class IptablesDrop implements AutoCloseable {

  private static final String COMMENT = "wsgate-eviction-it";

  /** Why this machine cannot run the tests (null: it can), found out once. */
  private static String unavailable;
  private static boolean checked;

  private final List<List<String>> rules = new ArrayList<>();
  private final Thread cleanup = new Thread(this::deleteQuietly, "iptables-cleanup");
  private final long inPlaceAt;

  private IptablesDrop(int port) throws IOException {
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      for (String direction : List.of("--sport", "--dport")) {
        List<String> rule = List.of("INPUT", "-s", "127.0.0.1", "-d", "127.0.0.1", "-i", "lo", "-p", "tcp",
            direction, Integer.toString(port), "-m", "comment", "--comment", COMMENT, "-j", "DROP");
        Result r = iptables(concat("-I", rule));
        if (r.exit() != 0) {
          throw new IOException("iptables -I " + String.join(" ", rule) + " failed: " + r.output());
        }
        rules.add(rule);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    inPlaceAt = System.nanoTime();
  }

  /** Drops every packet on {@code lo} from or to {@code port}, until closed. */
  public static IptablesDrop connectionOn(int port) throws IOException {
    return new IptablesDrop(port);
  }

  /**
   * Skips the calling test (JUnit assumption) where root or a working iptables is missing; fails it instead under
   * {@code CI=true}, which must run it.
   */
  public static void requireOrSkip(String test) {
    synchronized (IptablesDrop.class) {
      if (!checked) {
        unavailable = whyUnavailable();
        checked = true;
      }
    }
    if (unavailable == null) {
      return;
    }
    String message = test + " needs root and a working iptables (Debian package iptables): " + unavailable;
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail("CI=true, which must run it: " + message);
    }
    System.out.println("SKIPPED: " + message);
    Assumptions.abort("skipped: " + message + " (with CI=true this fails instead of skipping)");
  }

  private static String whyUnavailable() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Integer.valueOf(0).equals(uid)) {
        return "not root (uid " + uid + ")";
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "cannot tell the user id (" + e + ")";
    }
    try {
      Result r = iptables("-S", "INPUT");
      return r.exit() == 0 ? null : "'iptables -S INPUT' failed with " + r.exit() + ": " + r.output();
    } catch (IOException e) {
      return "no iptables (" + e.getMessage() + ")";
    }
  }

  /** {@link System#nanoTime()} when both rules were in place. */
  public long inPlaceAt() {
    return inPlaceAt;
  }

  @Override
  public void close() throws IOException {
    List<String> failed = delete();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    if (!failed.isEmpty()) {
      throw new IOException("could not delete iptables rules (delete them by hand): " + failed);
    }
  }

  private synchronized List<String> delete() {
    List<String> failed = new ArrayList<>();
    for (List<String> rule : rules) {
      try {
        Result r = iptables(concat("-D", rule));
        if (r.exit() != 0) {
          failed.add("iptables -D " + String.join(" ", rule) + ": " + r.output());
        }
      } catch (IOException e) {
        failed.add("iptables -D " + String.join(" ", rule) + ": " + e);
      }
    }
    rules.clear();
    return failed;
  }

  private void deleteQuietly() {
    List<String> failed = delete();
    if (!failed.isEmpty()) {
      System.err.println("IptablesDrop: could not delete iptables rules: " + failed);
    }
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all;
  }

  record Result(int exit, String output) {
  }

  /** Runs iptables (waiting at most 5 s for its lock, and 15 s in all). */
  static Result iptables(String... args) throws IOException {
    return iptables(List.of(args));
  }

  static Result iptables(List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of("iptables", "-w", "5"));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 15 s");
      }
      return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
  }
}
