package dev.wsgate.bench;

/**
 * Round-trip times in microseconds, to about 3 %: exact below 64 µs, then 32 buckets per power of two, up to
 * about 67 s (longer ones count in the last bucket). Travels between processes as one word,
 * {@code bucket:count,bucket:count}. Not thread-safe: one event loop writes it.
 */
final class MicrosHistogram {

  private static final int SUB_BUCKETS = 32;
  private static final int BUCKETS = 64 + 20 * SUB_BUCKETS;

  private final long[] counts = new long[BUCKETS];
  private long total;

  void record(long micros) {
    counts[index(Math.max(0, micros))]++;
    total++;
  }

  private static int index(long v) {
    if (v < 64) {
      return (int) v;
    }
    int msb = 63 - Long.numberOfLeadingZeros(v);
    int shift = msb - 5;
    int i = 64 + (shift - 1) * SUB_BUCKETS + (int) (v >> shift) - SUB_BUCKETS;
    return Math.min(BUCKETS - 1, i);
  }

  /** The middle of bucket {@code i}, in microseconds. */
  private static long middle(int i) {
    if (i < 64) {
      return i;
    }
    int shift = (i - 64) / SUB_BUCKETS + 1;
    long top = (i - 64) % SUB_BUCKETS + SUB_BUCKETS;
    return (top << shift) + (1L << shift) / 2;
  }

  long count() {
    return total;
  }

  /** The value at quantile {@code q} (0.5, 0.99), in microseconds; 0 when empty. */
  long quantile(double q) {
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return middle(i);
      }
    }
    return middle(BUCKETS - 1);
  }

  void add(MicrosHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  String encode() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < BUCKETS; i++) {
      if (counts[i] > 0) {
        b.append(b.length() == 0 ? "" : ",").append(i).append(':').append(counts[i]);
      }
    }
    return b.toString();
  }

  static MicrosHistogram decode(String text) {
    MicrosHistogram h = new MicrosHistogram();
    if (text == null || text.isEmpty()) {
      return h;
    }
    for (String pair : text.split(",")) {
      String[] kv = pair.split(":");
      long n = Long.parseLong(kv[1]);
      h.counts[Integer.parseInt(kv[0])] += n;
      h.total += n;
    }
    return h;
  }
}
