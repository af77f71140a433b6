package dev.wsgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.routing.Route;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.server.Gateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shared check of every bad-input test: what a gateway holds (connection permits, registry entries, upstream
 * claims), the sockets this process has open, and Netty's buffers (the leak detector, at paranoid level in tests)
 * are back where they were before the bad input. Take it before, check it after, once the test has closed its own
 * sockets (clients and raw upstream connections live in this process too):
 *
 * <pre>
 *   Released before = Released.from(gw);
 *   ... bad input ...
 *   before.assertBack();
 * </pre>
 * Everything is awaited (bounded): a connection closes asynchronously, and its permit comes back with it.
 */
public final class Released {

  /** How long the check waits for what is held to come back. */
  public static final Duration WAIT = Duration.ofSeconds(10);

  private final Gateway gateway;
  private final int permits;
  private final int sessions;
  private final int claims;
  private final long openSockets;

  private Released(Gateway gateway) {
    this.gateway = gateway;
    this.permits = gateway.connectionsHeld();
    this.sessions = gateway.sessions().size();
    this.claims = claims(gateway);
    this.openSockets = openSockets();
  }

  /**
   * What {@code gw} and this process hold now. Leaks reported so far fail it; leaks not yet reported (their buffers
   * not yet collected) are found by {@link #assertBack}, which collects.
   */
  public static Released from(TestGateway gw) {
    List<String> earlier = LeakRecordingAppender.drain();
    assertThat(earlier).as("Netty buffer leaks reported before the bad input").isEmpty();
    return new Released(gw.gateway());
  }

  /** Asserts that permits, sessions, claims, open sockets and buffers are back where they were. */
  public void assertBack() throws InterruptedException {
    Awaits.until("connection permits back to " + permits + " (held: " + gateway.connectionsHeld() + ")", WAIT,
        () -> gateway.connectionsHeld() == permits);
    Awaits.until("live sessions back to " + sessions + " (live: " + gateway.sessions().size() + ")", WAIT,
        () -> gateway.sessions().size() == sessions);
    Awaits.until("upstream claims back to " + claims + " (held: " + claims(gateway) + ")", WAIT,
        () -> claims(gateway) == claims);
    Awaits.until("open sockets back to at most " + openSockets + " (open: " + openSockets() + ")", WAIT,
        () -> openSockets() <= openSockets);
    LeakDetectionExtension.collectLeaks();
    assertThat(LeakRecordingAppender.drain()).as("Netty buffer leaks reported after the bad input").isEmpty();
  }

  /** Sessions counted on every upstream instance of every route, handshakes under way included. */
  static int claims(Gateway gateway) {
    int n = 0;
    for (Route r : gateway.router().routes()) {
      for (UpstreamPool.Instance i : r.upstreams().instances()) {
        n += i.sessions();
      }
    }
    return n;
  }

  /**
   * Sockets this process has open (Linux: file descriptors that link to {@code socket:[inode]}); files such as the
   * jars class loading opens on first use are left out, since they stay open for good by design.
   */
  public static long openSockets() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(Released::isSocket).count();
    } catch (IOException e) {
      throw new IllegalStateException("cannot count open sockets: " + e, e);
    }
  }

  private static boolean isSocket(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString().startsWith("socket:");
    } catch (IOException closedMeanwhile) {
      return false;
    }
  }
}
