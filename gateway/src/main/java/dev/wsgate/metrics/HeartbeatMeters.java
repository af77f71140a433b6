package dev.wsgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The heartbeat meters of one route and leg, looked up once per session and leg, then used without any lookup:
 * a ping counts, a pong counts and records its round trip, an eviction counts.
 */
public final class HeartbeatMeters {

  /** Meters that count nothing, for legs outside a gateway (tests). */
  public static final HeartbeatMeters NONE = new HeartbeatMeters(null, null, null, null);

  private final Counter pings;
  private final Counter pongs;
  private final Timer rtt;
  private final Counter evictions;

  HeartbeatMeters(Counter pings, Counter pongs, Timer rtt, Counter evictions) {
    this.pings = pings;
    this.pongs = pongs;
    this.rtt = rtt;
    this.evictions = evictions;
  }

  public void pingSent() {
    if (pings != null) {
      pings.increment();
    }
  }

  public void pongReceived(long rttNanos) {
    if (pongs != null) {
      pongs.increment();
      rtt.record(rttNanos, TimeUnit.NANOSECONDS);
    }
  }

  public void evicted() {
    if (evictions != null) {
      evictions.increment();
    }
  }
}
