package dev.wsgate.bench;

import java.util.Locale;

/**
 * Durations in 100 ms buckets up to 60 s (the last bucket takes the rest), small enough to travel between
 * processes as one word: {@code bucket:count,bucket:count}. Not thread-safe: one event loop writes it.
 */
final class LatencyHistogram {

  private static final int BUCKET_MS = 100;
  private static final int BUCKETS = 600;

  private final long[] counts = new long[BUCKETS];
  private long total;
  private long maxMs;

  void record(long millis) {
    long ms = Math.max(0, millis);
    counts[(int) Math.min(BUCKETS - 1, ms / BUCKET_MS)]++;
    total++;
    maxMs = Math.max(maxMs, ms);
  }

  long count() {
    return total;
  }

  /** The upper edge of the bucket holding the given quantile, in seconds; 0 when empty. */
  double quantileSeconds(double q) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= Math.max(1, rank)) {
        return Math.min((i + 1) * BUCKET_MS, maxMs) / 1000.0;
      }
    }
    return maxMs / 1000.0;
  }

  double maxSeconds() {
    return maxMs / 1000.0;
  }

  long countAbove(long millis) {
    long n = 0;
    for (int i = (int) Math.min(BUCKETS - 1, millis / BUCKET_MS); i < BUCKETS; i++) {
      n += counts[i];
    }
    return n;
  }

  void add(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    maxMs = Math.max(maxMs, other.maxMs);
  }

  String encode() {
    StringBuilder b = new StringBuilder("max:").append(maxMs);
    for (int i = 0; i < BUCKETS; i++) {
      if (counts[i] > 0) {
        b.append(',').append(i).append(':').append(counts[i]);
      }
    }
    return b.toString();
  }

  static LatencyHistogram decode(String text) {
    LatencyHistogram h = new LatencyHistogram();
    if (text == null || text.isEmpty()) {
      return h;
    }
    for (String pair : text.split(",")) {
      String[] kv = pair.split(":");
      if (kv[0].equals("max")) {
        h.maxMs = Long.parseLong(kv[1]);
      } else {
        long n = Long.parseLong(kv[1]);
        h.counts[Integer.parseInt(kv[0])] += n;
        h.total += n;
      }
    }
    return h;
  }

  String describe() {
    if (total == 0) {
      return "none measured";
    }
    return String.format(Locale.ROOT, "p50 %.1f s, p99 %.1f s, max %.2f s (%d measured, %d over 4 s)",
        quantileSeconds(0.5), quantileSeconds(0.99), maxSeconds(), total, countAbove(4000));
  }
}
