package dev.wsgate.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class SessionRegistryTest {

  private final SessionRegistry registry = new SessionRegistry();

  private Session session(String route) {
    return new Session(registry.nextId(), "req", route, URI.create("ws://127.0.0.1:1"), "127.0.0.1:2", null) {
      @Override
      public LegStatus leg(dev.wsgate.config.Leg leg) {
        return new LegStatus(0, 0, -1, -1, 0, 0);
      }

      @Override
      public void close(EndCause cause, int code, String reason) {
      }
    };
  }

  @Test
  void totalsAreWhatFinishedSessionsCountedPlusWhatLiveOnesCountNow() {
    Session a = session("/a");
    Session b = session("/b");
    registry.add(a);
    registry.add(b);
    a.countFromClient(1, 10);
    a.countFromUpstream(1, 7);
    b.countFromClient(1, 5);
    assertThat(registry.remove(a)).isTrue();
    b.countFromClient(1, 1);

    assertThat(registry.framesFromClient()).isEqualTo(3);
    assertThat(registry.bytesFromClient()).isEqualTo(16);
    assertThat(registry.framesFromUpstream()).isEqualTo(1);
    assertThat(registry.bytesFromUpstream()).isEqualTo(7);
    assertThat(registry.liveOnRoute("/a")).isZero();
    assertThat(registry.liveOnRoute("/b")).isEqualTo(1);
  }

  @Test
  void removalIsIdempotentAndCountsASessionOnce() {
    Session a = session("/a");
    registry.add(a);
    a.countFromClient(1, 4);
    assertThat(registry.remove(a)).isTrue();
    assertThat(registry.remove(a)).isFalse();

    assertThat(registry.framesFromClient()).isEqualTo(1);
    assertThat(registry.bytesFromClient()).isEqualTo(4);
    assertThat(registry.size()).isZero();
    assertThat(registry.liveOnRoute("/a")).isZero();
  }

  /**
   * The totals back Prometheus counters, and a counter that goes down reads as a restart (its whole value counted
   * again by rate()). A scrape that runs while a session moves from the live ones to the finished totals must not
   * see its frames vanish.
   */
  @Test
  void totalsNeverGoDownWhileSessionsFinishDuringAScrape() throws Exception {
    int sessions = 200_000;
    AtomicBoolean done = new AtomicBoolean();
    CompletableFuture<List<String>> reader = CompletableFuture.supplyAsync(() -> {
      List<String> decreases = new ArrayList<>();
      long last = 0;
      while (!done.get() && decreases.size() < 10) {
        long now = registry.framesFromClient();
        if (now < last) {
          decreases.add(last + " -> " + now);
        }
        last = Math.max(last, now);
      }
      return decreases;
    });
    for (int i = 0; i < sessions && !reader.isDone(); i++) {
      Session s = session("/r");
      registry.add(s);
      s.countFromClient(1, 1);
      registry.remove(s);
    }
    done.set(true);

    assertThat(reader.get(30, TimeUnit.SECONDS)).as("decreases of the frames total seen by a scrape").isEmpty();
    assertThat(registry.framesFromClient()).isEqualTo(sessions);
  }
}
