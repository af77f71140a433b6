package dev.wsgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Balance;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@code balance: hash}: rendezvous hashing over a route's instances, with failure back-off and no-key sessions. */
class HashBalanceTest {

  private static final int KEYS = 100_000;

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private static final List<URI> THREE = List.of(URI.create("ws://a:1"), URI.create("ws://b:1"),
      URI.create("ws://c:1"));
  private static final URI FOURTH = URI.create("ws://d:1");

  private UpstreamPool pool(List<URI> uris) {
    return new UpstreamPool("/", uris, Balance.HASH, Duration.ofSeconds(10), now::get);
  }

  private static List<URI> withFourth() {
    List<URI> four = new ArrayList<>(THREE);
    four.add(FOURTH);
    return four;
  }

  /** Each key's instance, by URI. */
  private static URI[] assign(UpstreamPool p) {
    URI[] out = new URI[KEYS];
    for (int k = 0; k < KEYS; k++) {
      out[k] = p.pick(null, "user-" + k).uri();
    }
    return out;
  }

  @Test
  void aKeyGoesToTheSameInstanceEveryTime() {
    UpstreamPool p = pool(THREE);
    for (int k = 0; k < 1000; k++) {
      URI first = p.pick(null, "key" + k).uri();
      for (int again = 0; again < 3; again++) {
        assertThat(p.pick(null, "key" + k).uri()).isEqualTo(first);
      }
    }
    // Another pool of the same URIs (another wsgate process, or after a reload) agrees.
    UpstreamPool other = pool(List.of(THREE.get(2), THREE.get(0), THREE.get(1)));
    for (int k = 0; k < 1000; k++) {
      assertThat(other.pick(null, "key" + k).uri()).isEqualTo(p.pick(null, "key" + k).uri());
    }
  }

  @Test
  void keysSpreadEvenlyOverTheInstances() {
    Map<URI, Integer> counts = new HashMap<>();
    for (URI u : assign(pool(THREE))) {
      counts.merge(u, 1, Integer::sum);
    }
    assertThat(counts).hasSize(3);
    counts.forEach((u, n) -> assertThat(n).as(u + " of " + KEYS).isBetween(KEYS * 30 / 100, KEYS * 37 / 100));
  }

  @Test
  void aFourthInstanceTakesAboutAQuarterOfTheKeysAndOnlyForItself() {
    URI[] before = assign(pool(THREE));
    URI[] after = assign(pool(withFourth()));
    int moved = 0;
    for (int k = 0; k < KEYS; k++) {
      if (!before[k].equals(after[k])) {
        moved++;
        assertThat(after[k]).as("key user-" + k + " moved from " + before[k]).isEqualTo(FOURTH);
      }
    }
    assertThat(moved / (double) KEYS).as(moved + " of " + KEYS + " keys moved").isBetween(0.20, 0.30);
  }

  @Test
  void removingAnInstanceMovesOnlyItsKeys() {
    URI[] before = assign(pool(withFourth()));
    URI[] after = assign(pool(THREE));
    for (int k = 0; k < KEYS; k++) {
      if (!before[k].equals(FOURTH)) {
        assertThat(after[k]).as("key user-" + k).isEqualTo(before[k]);
      }
    }
  }

  @Test
  void aFailedInstanceLosesItsKeysToTheNextAndGetsThemBackWhenUp() {
    UpstreamPool p = pool(THREE);
    UpstreamPool.Instance b = p.instances().get(1);
    URI[] before = assign(p);
    p.failed(b, "refused");
    URI[] during = assign(p);
    int moved = 0;
    for (int k = 0; k < KEYS; k++) {
      if (before[k].equals(b.uri())) {
        assertThat(during[k]).as("key user-" + k).isNotEqualTo(b.uri());
        moved++;
      } else {
        assertThat(during[k]).as("key user-" + k + " of an instance that is up stays").isEqualTo(before[k]);
      }
    }
    assertThat(moved).isPositive();
    // Its keys go to their second choice: the two others share them.
    Set<URI> takers = new HashSet<>();
    for (int k = 0; k < KEYS; k++) {
      if (before[k].equals(b.uri())) {
        takers.add(during[k]);
      }
    }
    assertThat(takers).containsExactlyInAnyOrder(THREE.get(0), THREE.get(2));

    p.succeeded(b);
    assertThat(assign(p)).containsExactly(before);
  }

  @Test
  void aFailedInstanceGetsItsKeysBackWhenItsBackoffEnds() {
    UpstreamPool p = pool(THREE);
    UpstreamPool.Instance b = p.instances().get(1);
    String key = keyOf(p, b);
    p.failed(b, "refused");
    assertThat(p.pick(null, key)).isNotSameAs(b);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(p.pick(null, key)).as("after the back-off it is tried again").isSameAs(b);
  }

  @Test
  void theRetryAfterAFailureGoesToTheKeysSecondChoice() {
    UpstreamPool p = pool(THREE);
    UpstreamPool.Instance b = p.instances().get(1);
    String key = keyOf(p, b);
    UpstreamPool.Instance second = p.pick(b, key);
    assertThat(second).isNotSameAs(b);
    p.failed(b, "refused");
    assertThat(p.pick(null, key)).as("while b backs off, its keys go where the retry went").isSameAs(second);
  }

  @Test
  void whenEveryInstanceIsDownTheOneBackFirstIsTried() {
    UpstreamPool p = pool(THREE);
    p.failed(p.instances().get(2), "refused");
    now.addAndGet(1000);
    p.failed(p.instances().get(0), "refused");
    p.failed(p.instances().get(1), "refused");
    assertThat(p.pick(null, "anything")).isSameAs(p.instances().get(2));
  }

  @Test
  void sessionsWithoutTheKeyGoRoundRobin() {
    UpstreamPool p = pool(THREE);
    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      order.append(p.pick(null, null).uri().getHost());
    }
    assertThat(order).hasToString("abcabc");
  }

  @Test
  void otherBalancesIgnoreTheKey() {
    UpstreamPool p = new UpstreamPool("/", THREE, Balance.ROUND_ROBIN, Duration.ofSeconds(10), now::get);
    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      order.append(p.pick(null, "same").uri().getHost());
    }
    assertThat(order).hasToString("abc");
  }

  @Test
  void instancesKeptAcrossAReloadKeepTheirKeys() {
    UpstreamPool before = pool(THREE);
    UpstreamPool after = new UpstreamPool("/", withFourth(), Balance.HASH, Duration.ofSeconds(10), before);
    for (int k = 0; k < 1000; k++) {
      URI was = before.pick(null, "k" + k).uri();
      URI is = after.pick(null, "k" + k).uri();
      assertThat(is).isIn(was, FOURTH);
    }
  }

  private static String keyOf(UpstreamPool p, UpstreamPool.Instance target) {
    for (int k = 0; ; k++) {
      if (p.pick(null, "key" + k) == target) {
        return "key" + k;
      }
    }
  }
}
