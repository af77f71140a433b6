package dev.wsgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The session counters of the status page, read from the meters when asked (a status request, or the status
 * history's tick), never on the traffic path: opens by route, ends by route and reason, evictions by route and leg,
 * upstream connection attempts by route, upstream and outcome. Counters are registered on first use, so a count
 * nobody counted yet is absent and reads as 0.
 */
public final class MeterReadings {

  /** What a count is of. */
  public enum Kind {
    /** {@code a}: unused. */
    OPENED,
    /** {@code a}: the reason ({@code client-close} ...). */
    CLOSED,
    /** {@code a}: the leg ({@code client}, {@code upstream}). */
    EVICTED,
    /** {@code a}: the upstream URI; {@code b}: the outcome ({@code success}, {@code refused} ...). */
    CONNECT
  }

  /** One count's coordinates; {@code a} and {@code b} are "" where {@link Kind} has none. */
  public record Key(Kind kind, String route, String a, String b) {
  }

  /**
   * The counts at one moment, immutable.
   *
   * @param counts every count read, by key (ends summed over closing side and close code)
   */
  public record Counts(Map<Key, Double> counts) {

    public static final Counts NONE = new Counts(Map.of());

    public Counts {
      counts = Collections.unmodifiableMap(new HashMap<>(counts));
    }

    public double get(Key key) {
      return counts.getOrDefault(key, 0.0);
    }

    /** {@code this - earlier}, key by key (counters only grow; a key absent earlier counted from 0). */
    public Counts minus(Counts earlier) {
      Map<Key, Double> out = new HashMap<>();
      counts.forEach((k, v) -> out.put(k, v - earlier.get(k)));
      return new Counts(out);
    }
  }

  /**
   * The heartbeat round trips of one route and leg since start.
   *
   * @param count   pongs received
   * @param meanMs  their mean round trip
   * @param maxMs   the largest of the last minutes (the registry's decaying maximum)
   * @param buckets how many round trips fell under each bucket's upper bound, cumulative, non-empty buckets and
   *                the first full one only (bounds in milliseconds, increasing)
   */
  public record Rtt(long count, double meanMs, double maxMs, List<Bucket> buckets) {

    public static final Rtt NONE = new Rtt(0, 0, 0, List.of());

    /** {@code count} round trips took at most {@code leMs}. */
    public record Bucket(double leMs, long count) {
    }

    /**
     * The smallest bucket bound under which at least {@code q} of the round trips fell: an upper bound of the
     * quantile, as Prometheus' {@code histogram_quantile} would interpolate within it; -1 with no round trip.
     */
    public double quantileAtMostMs(double q) {
      if (count == 0 || buckets.isEmpty()) {
        return -1;
      }
      double want = Math.ceil(q * count);
      for (Bucket b : buckets) {
        if (b.count >= want) {
          return b.leMs;
        }
      }
      return maxMs;
    }
  }

  private MeterReadings() {
  }

  /** The counts now. */
  static Counts counts(MeterRegistry registry) {
    Map<Key, Double> out = new HashMap<>();
    for (Counter c : registry.find(GatewayMetrics.OPENED).counters()) {
      add(out, new Key(Kind.OPENED, tag(c, "route"), "", ""), c.count());
    }
    for (Counter c : registry.find(GatewayMetrics.CLOSED).counters()) {
      add(out, new Key(Kind.CLOSED, tag(c, "route"), tag(c, "reason"), ""), c.count());
    }
    for (Counter c : registry.find(GatewayMetrics.EVICTIONS).counters()) {
      add(out, new Key(Kind.EVICTED, tag(c, "route"), tag(c, "leg"), ""), c.count());
    }
    for (Counter c : registry.find(GatewayMetrics.CONNECTS).counters()) {
      add(out, new Key(Kind.CONNECT, tag(c, "route"), tag(c, "upstream"), tag(c, "outcome")), c.count());
    }
    return new Counts(out);
  }

  /** The round trips of a route and leg since start; {@link Rtt#NONE} before the first ping. */
  static Rtt rtt(MeterRegistry registry, String route, String leg) {
    Timer t = registry.find(GatewayMetrics.RTT).tags("route", route, "leg", leg).timer();
    if (t == null) {
      return Rtt.NONE;
    }
    HistogramSnapshot s = t.takeSnapshot();
    List<Rtt.Bucket> buckets = new ArrayList<>();
    long below = 0;
    for (CountAtBucket b : s.histogramCounts()) {
      long n = (long) b.count();
      if (n > below) {
        buckets.add(new Rtt.Bucket(b.bucket(TimeUnit.MILLISECONDS), n));
        below = n;
        if (n >= s.count()) {
          break;
        }
      }
    }
    return new Rtt(s.count(), s.mean(TimeUnit.MILLISECONDS), s.max(TimeUnit.MILLISECONDS), List.copyOf(buckets));
  }

  private static void add(Map<Key, Double> out, Key key, double v) {
    out.merge(key, v, Double::sum);
  }

  private static String tag(Meter m, String name) {
    String v = m.getId().getTag(name);
    return v == null ? "" : v;
  }
}
