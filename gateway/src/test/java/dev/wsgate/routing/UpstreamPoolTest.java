package dev.wsgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Balance;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UpstreamPoolTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<URI> uris = List.of(URI.create("ws://a:1"), URI.create("ws://b:1"), URI.create("ws://c:1"));

  private UpstreamPool pool(Balance balance) {
    return new UpstreamPool("/", uris, balance, Duration.ofSeconds(10), now::get);
  }

  private static String host(UpstreamPool.Instance i) {
    return i.uri().getHost();
  }

  @Test
  void roundRobinTakesEachInTurn() {
    UpstreamPool p = pool(Balance.ROUND_ROBIN);
    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      order.append(host(p.pick(null)));
    }
    assertThat(order).hasToString("abcabc");
  }

  @Test
  void leastSessionsTakesTheLeastLoadedAndSharesTies() {
    UpstreamPool p = pool(Balance.LEAST_SESSIONS);
    UpstreamPool.Instance a = p.instances().get(0);
    UpstreamPool.Instance b = p.instances().get(1);
    a.claim();
    a.claim();
    b.claim();
    assertThat(host(p.pick(null))).isEqualTo("c");
    p.instances().get(2).claim();
    p.instances().get(2).claim();
    assertThat(host(p.pick(null))).isEqualTo("b");
    b.claim();
    StringBuilder ties = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      ties.append(host(p.pick(null)));
    }
    assertThat(ties.toString().chars().distinct().count()).as("ties go in turn: " + ties).isEqualTo(3);
  }

  @Test
  void aClaimCountsUntilReleasedOnce() {
    UpstreamPool.Instance a = pool(Balance.LEAST_SESSIONS).instances().get(0);
    UpstreamPool.Claim claim = a.claim();
    assertThat(a.sessions()).isEqualTo(1);
    claim.release();
    claim.release();
    assertThat(a.sessions()).isZero();
  }

  @Test
  void aFailedInstanceIsPassedOverUntilItsBackoffEnds() {
    UpstreamPool p = pool(Balance.ROUND_ROBIN);
    UpstreamPool.Instance b = p.instances().get(1);
    p.failed(b, "refused");
    assertThat(b.isDown()).isTrue();
    for (int i = 0; i < 10; i++) {
      assertThat(p.pick(null)).isNotSameAs(b);
    }
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    boolean tried = false;
    for (int i = 0; i < 3; i++) {
      tried |= p.pick(null) == b;
    }
    assertThat(tried).as("after the back-off it gets a chance again").isTrue();
    assertThat(b.isDown()).as("down until a connection succeeds").isTrue();
    p.succeeded(b);
    assertThat(b.isDown()).isFalse();
  }

  @Test
  void whenAllAreDownTheOneWhoseBackoffEndsFirstIsTried() {
    UpstreamPool p = pool(Balance.ROUND_ROBIN);
    p.failed(p.instances().get(2), "x");
    now.addAndGet(1_000);
    p.failed(p.instances().get(0), "x");
    p.failed(p.instances().get(1), "x");
    assertThat(host(p.pick(null))).isEqualTo("c");
  }

  @Test
  void aRetryExcludesTheInstanceThatFailed() {
    UpstreamPool single = new UpstreamPool("/", List.of(URI.create("ws://only:1")), Balance.ROUND_ROBIN,
        Duration.ofSeconds(10), now::get);
    UpstreamPool.Instance only = single.pick(null);
    assertThat(single.pick(only)).isNull();
    UpstreamPool p = pool(Balance.ROUND_ROBIN);
    UpstreamPool.Instance first = p.pick(null);
    for (int i = 0; i < 5; i++) {
      assertThat(p.pick(first)).isNotSameAs(first);
    }
  }

  @Test
  void zeroBackoffNeverPassesOver() {
    UpstreamPool p = new UpstreamPool("/", uris, Balance.ROUND_ROBIN, Duration.ZERO, now::get);
    p.failed(p.instances().get(0), "x");
    assertThat(p.instances().get(0).isDown()).isFalse();
  }
}
