package dev.wsgate.server;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code server.max-connections}: sessions at once, handshakes under way included; 0 means no limit. */
final class ConnectionLimit {

  /** One held place; releasing it twice releases it once. */
  static final class Permit {
    private final ConnectionLimit limit;
    private final AtomicBoolean released = new AtomicBoolean();

    private Permit(ConnectionLimit limit) {
      this.limit = limit;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        limit.held.decrementAndGet();
      }
    }
  }

  private volatile int max;
  private final AtomicInteger held = new AtomicInteger();

  ConnectionLimit(int max) {
    this.max = max;
  }

  /** A new limit (reload): places held stay held; new ones obey it. */
  void max(int max) {
    this.max = max;
  }

  /** A place, or null when the limit is reached. */
  Permit tryAcquire() {
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

  int held() {
    return held.get();
  }
}
