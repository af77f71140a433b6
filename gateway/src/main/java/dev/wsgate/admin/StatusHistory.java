package dev.wsgate.admin;

import dev.wsgate.metrics.MeterReadings.Counts;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The session counters as they were over the last minutes, for the status page's "last 1, 5, 15 minutes": a ring of
 * snapshots of the counters, one every {@code step} (10 s), as many as cover {@code span} (15 min) and one more;
 * older ones are dropped, so its memory is bounded (91 snapshots of a few counts per route). What happened within a
 * window is the counts now, read on request, minus the snapshot nearest to the window's start within it: a window is
 * covered to within a step, and a young gateway's windows start at its first snapshot (all zeros, taken at start).
 *
 * <p>Threads: {@link #tick} runs on the status thread ({@code wsgate-status}, scheduled by {@link AdminServer}, never
 * an event loop), {@link #since} on the admin listener's loop; both under the ring's lock, held for a copy of a
 * reference or a walk over at most 91 entries.
 */
final class StatusHistory {

  static final Duration STEP = Duration.ofSeconds(10);
  static final Duration SPAN = Duration.ofMinutes(15);

  /** What happened within a window: {@code counts} over the last {@code coveredMillis}. */
  record Window(Counts counts, long coveredMillis) {
  }

  private record Snapshot(long atMillis, Counts counts) {
  }

  private final Supplier<Counts> read;
  private final LongSupplier clockMillis;
  private final int capacity;
  /** Oldest first. Guarded by itself. */
  private final ArrayDeque<Snapshot> ring = new ArrayDeque<>();

  StatusHistory(Supplier<Counts> read, LongSupplier clockMillis, Duration step, Duration span) {
    this.read = read;
    this.clockMillis = clockMillis;
    this.capacity = (int) (span.toMillis() / step.toMillis()) + 1;
    tick();
  }

  /** Takes a snapshot of the counters now, dropping the oldest past the span. */
  void tick() {
    Snapshot s = new Snapshot(clockMillis.getAsLong(), read.get());
    synchronized (ring) {
      ring.addLast(s);
      while (ring.size() > capacity) {
        ring.removeFirst();
      }
    }
  }

  /** How many snapshots are kept (at most span / step + 1). */
  int size() {
    synchronized (ring) {
      return ring.size();
    }
  }

  /**
   * What happened over the last {@code window}, to within a step: {@code now} (the counts read now) minus the
   * oldest snapshot no older than the window (or the oldest there is, when the history is younger).
   */
  Window since(Duration window, Counts now) {
    long at = clockMillis.getAsLong();
    long from = at - window.toMillis();
    Snapshot base = null;
    synchronized (ring) {
      for (Iterator<Snapshot> it = ring.iterator(); it.hasNext(); ) {
        Snapshot s = it.next();
        if (s.atMillis >= from || !it.hasNext()) {
          base = s;
          break;
        }
      }
    }
    if (base == null) {
      return new Window(now, 0);
    }
    return new Window(now.minus(base.counts), Math.max(0, at - base.atMillis));
  }
}
