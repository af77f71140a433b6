package dev.wsgate.routing;

import dev.wsgate.config.Balance;
import dev.wsgate.config.Durations;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream instances of one route, how one is picked for a new session, and their passive health: an instance
 * whose connection failed is passed over for {@code failureBackoff} while another is available, and is back in
 * use once a connection to it succeeds. Each change of state is logged once.
 *
 * <p>{@code balance: hash} is rendezvous (highest random weight) hashing: each instance scores a key with a 64-bit
 * mix of the key's hash and the instance's own (from its URI), and the highest usable score wins. Adding an instance
 * to n moves only the keys it now wins, about 1/(n+1) of them, and only to it; an instance in back-off loses its
 * keys to their next-highest instance, and wins them back when it is up. Instances kept across a reload keep their
 * keys. A session without the key goes round-robin.
 */
public final class UpstreamPool {

  private static final Logger log = LoggerFactory.getLogger(UpstreamPool.class);

  /** One upstream instance. */
  public static final class Instance {
    private final URI uri;
    /** The instance's part of every rendezvous score: a hash of its URI, so that it survives reloads. */
    private final long seed;
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicBoolean down = new AtomicBoolean();
    private volatile long downUntilNanos;

    Instance(URI uri) {
      this.uri = uri;
      this.seed = hash(uri.toString());
    }

    public URI uri() {
      return uri;
    }

    /** Sessions on this instance through this process, handshakes under way included. */
    public int sessions() {
      return sessions.get();
    }

    /**
     * Counts a session on this instance from the moment it is picked, so that a burst of handshakes is balanced
     * on what is under way; the claim is released once, when the session ends or its handshake fails.
     */
    public Claim claim() {
      sessions.incrementAndGet();
      return new Claim(this);
    }

    public boolean isDown() {
      return down.get();
    }


    @Override
    public String toString() {
      return uri.toString();
    }
  }

  /** A session's place on an instance; releasing it twice releases it once. */
  public static final class Claim {
    private static final AtomicIntegerFieldUpdater<Claim> RELEASED =
        AtomicIntegerFieldUpdater.newUpdater(Claim.class, "released");

    private final Instance instance;
    /** 1 once released: a field, not an object of its own, since every session holds a claim. */
    private volatile int released;

    private Claim(Instance instance) {
      this.instance = instance;
    }

    public Instance instance() {
      return instance;
    }

    public void release() {
      if (RELEASED.compareAndSet(this, 0, 1)) {
        instance.sessions.decrementAndGet();
      }
    }
  }

  private final String route;
  private final List<Instance> instances;
  private final Balance balance;
  private final Duration failureBackoff;
  private final LongSupplier nanoClock;
  private final AtomicInteger next = new AtomicInteger();

  public UpstreamPool(String route, List<URI> uris, Balance balance, Duration failureBackoff) {
    this(route, uris, balance, failureBackoff, System::nanoTime, null);
  }

  /**
   * A pool that takes over, from the pool of the same route before a reload, the instances it keeps (their
   * sessions, claims and health), so that balancing and passive health carry on across reloads.
   */
  public UpstreamPool(String route, List<URI> uris, Balance balance, Duration failureBackoff, UpstreamPool before) {
    this(route, uris, balance, failureBackoff, System::nanoTime, before);
  }

  UpstreamPool(String route, List<URI> uris, Balance balance, Duration failureBackoff, LongSupplier nanoClock) {
    this(route, uris, balance, failureBackoff, nanoClock, null);
  }

  private UpstreamPool(String route, List<URI> uris, Balance balance, Duration failureBackoff,
      LongSupplier nanoClock, UpstreamPool before) {
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("a route needs an upstream");
    }
    this.route = route;
    List<Instance> list = new ArrayList<>();
    for (URI uri : uris) {
      Instance kept = null;
      if (before != null) {
        for (Instance i : before.instances) {
          if (i.uri.equals(uri)) {
            kept = i;
          }
        }
      }
      list.add(kept != null ? kept : new Instance(uri));
    }
    this.instances = List.copyOf(list);
    this.balance = balance;
    this.failureBackoff = failureBackoff;
    this.nanoClock = nanoClock;
  }

  public List<Instance> instances() {
    return instances;
  }

  /** The instance for a new session without a hash key: {@link #pick(Instance, String)} with none. */
  public Instance pick(Instance exclude) {
    return pick(exclude, null);
  }

  /**
   * The instance for a new session, passing over {@code exclude} (the instance that just failed, on a retry) and
   * instances within their failure back-off. With {@code balance: hash} and a {@code key}, the usable instance with
   * the highest rendezvous score for it; without a key, as with round-robin. When every instance is excluded or
   * backing off, the one whose back-off ends first is tried anyway: trying beats refusing outright.
   *
   * @param key the session's hash key, or null when it has none (or the route does not hash)
   * @return an instance, or null when {@code exclude} is the only one
   */
  public Instance pick(Instance exclude, String key) {
    long now = nanoClock.getAsLong();
    if (balance == Balance.HASH && key != null) {
      Instance best = highestScore(exclude, key, now);
      return best != null ? best : soonestBack(exclude);
    }
    List<Instance> usable = new ArrayList<>(instances.size());
    for (Instance i : instances) {
      if (i != exclude && usable(i, now)) {
        usable.add(i);
      }
    }
    if (usable.isEmpty()) {
      return soonestBack(exclude);
    }
    int turn = Math.floorMod(next.getAndIncrement(), usable.size());
    if (balance != Balance.LEAST_SESSIONS) {
      return usable.get(turn);
    }
    Instance best = null;
    for (int k = 0; k < usable.size(); k++) {
      Instance i = usable.get((turn + k) % usable.size());
      if (best == null || i.sessions() < best.sessions()) {
        best = i;
      }
    }
    return best;
  }

  /**
   * How much longer {@code instance} is passed over (0 when it is up, or down with its back-off over: it is tried
   * again with the next session). Any thread; for the status page.
   */
  public long backoffLeftNanos(Instance instance) {
    return instance.down.get() ? Math.max(0, instance.downUntilNanos - nanoClock.getAsLong()) : 0;
  }

  /** The usable instance, other than {@code exclude}, that scores {@code key} highest; null when none is usable. */
  private Instance highestScore(Instance exclude, String key, long now) {
    long keyHash = hash(key);
    Instance best = null;
    long bestScore = 0;
    for (Instance i : instances) {
      if (i == exclude || !usable(i, now)) {
        continue;
      }
      long score = score(keyHash, i.seed);
      if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  private static boolean usable(Instance i, long now) {
    return !i.down.get() || now - i.downUntilNanos >= 0;
  }

  /** The instance, other than {@code exclude}, whose back-off ends first; null when {@code exclude} is the only one. */
  private Instance soonestBack(Instance exclude) {
    Instance soonest = null;
    for (Instance i : instances) {
      if (i != exclude && (soonest == null || i.downUntilNanos - soonest.downUntilNanos < 0)) {
        soonest = i;
      }
    }
    return soonest;
  }

  /** The rendezvous score of a key's hash on an instance's seed: both mixed into one 64-bit value. */
  static long score(long keyHash, long seed) {
    return mix(keyHash ^ seed);
  }

  /** A 64-bit hash of {@code s}: FNV-1a over its UTF-16 units, then {@link #mix}; allocates nothing. */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int k = 0; k < s.length(); k++) {
      h ^= s.charAt(k);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** MurmurHash3's 64-bit finalizer: every input bit flips each output bit with probability close to 1/2. */
  static long mix(long z) {
    z ^= z >>> 33;
    z *= 0xff51afd7ed558ccdL;
    z ^= z >>> 33;
    z *= 0xc4ceb9fe1a85ec53L;
    z ^= z >>> 33;
    return z;
  }

  /** A connection to {@code instance} failed: pass it over for the back-off. */
  public void failed(Instance instance, String why) {
    if (failureBackoff.isZero()) {
      return;
    }
    instance.downUntilNanos = nanoClock.getAsLong() + failureBackoff.toNanos();
    if (instance.down.compareAndSet(false, true)) {
      if (instances.size() > 1) {
        log.warn("route {}: upstream {} failed ({}); passing it over for {} while another instance is available",
            route, instance, why, Durations.format(failureBackoff));
      } else {
        log.warn("route {}: upstream {} failed ({}); it is the route's only instance", route, instance, why);
      }
    }
  }

  /** A connection to {@code instance} succeeded: it is up. */
  public void succeeded(Instance instance) {
    if (instance.down.compareAndSet(true, false)) {
      log.info("route {}: upstream {} is up again", route, instance);
    }
  }
}
