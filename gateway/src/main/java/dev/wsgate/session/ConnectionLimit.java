package dev.wsgate.session;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * {@code server.max-connections}: client connections at once, counted from accept until everything the connection
 * took is released (its session finished, or its handshake refused); 0 means no limit.
 */
public final class ConnectionLimit {

  /** One held place; releasing it twice releases it once. */
  public static final class Permit {
    private static final AtomicIntegerFieldUpdater<Permit> RELEASED =
        AtomicIntegerFieldUpdater.newUpdater(Permit.class, "released");

    private final ConnectionLimit limit;
    /** 1 once released: a field, not an object of its own, since every session holds a permit. */
    private volatile int released;

    private Permit(ConnectionLimit limit) {
      this.limit = limit;
    }

    public void release() {
      if (RELEASED.compareAndSet(this, 0, 1)) {
        limit.held.decrementAndGet();
      }
    }
  }

  private volatile int max;
  private final AtomicInteger held = new AtomicInteger();

  public ConnectionLimit(int max) {
    this.max = max;
  }

  /** A new limit (reload): places held stay held; new ones obey it. */
  public void max(int max) {
    this.max = max;
  }

  /** A place, or null when the limit is reached. */
  public Permit tryAcquire() {
    while (true) {
      int now = held.get();
      int limit = max;
      if (limit != 0 && now >= limit) {
        return null;
      }
      if (held.compareAndSet(now, now + 1)) {
        return new Permit(this);
      }
    }
  }

  public int held() {
    return held.get();
  }
}
