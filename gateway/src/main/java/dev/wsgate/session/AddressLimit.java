package dev.wsgate.session;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * {@code server.max-connections-per-address}: client connections at once from one client address (the address
 * {@code ClientAddress} gives: the PROXY header's source or the TCP peer, or what trusted proxies forwarded), 0 for
 * no limit. Every handshake that reaches the upstream step takes a {@link Slot} of its address, limit or not, so that
 * a limit set by a reload counts the connections already open.
 *
 * <p>The table holds one entry per address that holds at least one slot, and the entry goes when its count reaches
 * 0: a connection takes a slot only while it holds a place of {@code server.max-connections} (the handshake checks
 * the place first), so the table never has more entries than {@code max-connections} (nor than open connections
 * when that is 0). An entry is a key (the address text, the session's own) and a boxed count.
 */
public final class AddressLimit {

  /** One connection's slot of its address; releasing it twice releases it once. */
  public static final class Slot {
    private static final AtomicIntegerFieldUpdater<Slot> RELEASED =
        AtomicIntegerFieldUpdater.newUpdater(Slot.class, "released");

    private final AddressLimit limit;
    private final String address;
    private volatile int released;

    private Slot(AddressLimit limit, String address) {
      this.limit = limit;
      this.address = address;
    }

    public void release() {
      if (RELEASED.compareAndSet(this, 0, 1)) {
        limit.counts.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
      }
    }
  }

  private volatile int max;
  private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

  public AddressLimit(int max) {
    this.max = max;
  }

  /** A new limit (reload): slots held stay held; new ones obey it. */
  public void max(int max) {
    this.max = max;
  }

  public int max() {
    return max;
  }

  /** A slot of {@code address}, or null when the address holds {@code max} already. */
  public Slot tryAcquire(String address) {
    int limit = max;
    boolean[] taken = new boolean[1];
    counts.compute(address, (a, n) -> {
      int now = n == null ? 0 : n;
      if (limit != 0 && now >= limit) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0] ? new Slot(this, address) : null;
  }

  /** Connections from {@code address} now. */
  public int held(String address) {
    Integer n = counts.get(address);
    return n == null ? 0 : n;
  }

  /** Addresses in the table now. */
  public int addresses() {
    return counts.size();
  }
}
