package dev.wsgate.session;

import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code server.max-connections-per-address}: client connections at once from one client address (the address
 * {@code ClientAddress} gives: the PROXY header's source or the TCP peer, or what trusted proxies forwarded), 0 for
 * no limit. Every handshake that reaches the upstream step takes a slot of its address, limit or not, so that a
 * limit set by a reload counts the connections already open.
 *
 * <p>The table holds one {@link Slot} per address that holds at least one connection, shared by that address's
 * connections (a connection keeps a reference to it, no object of its own), and it goes when its count reaches 0: a
 * connection takes a slot only while it holds a place of {@code server.max-connections} (the handshake checks the
 * place first), so the table never has more entries than {@code max-connections} (nor than open connections when
 * that is 0). Counts change only inside the map's {@code compute}, under the lock of the address's bin.
 */
public final class AddressLimit {

  /**
   * The connections of one address: shared by them, in the table while it counts any. Each connection that took it
   * gives it back once ({@link #release}): its lifecycle's owner takes it and releases it.
   */
  public static final class Slot {
    private final AddressLimit limit;
    private final String address;
    /** Written under the map's bin lock; read by {@link #held} from any thread. */
    private volatile int count;

    private Slot(AddressLimit limit, String address) {
      this.limit = limit;
      this.address = address;
    }

    /** One connection of the address fewer: call once for each time the slot was taken. */
    public void release() {
      limit.release(this);
    }
  }

  private volatile int max;
  private final ConcurrentHashMap<String, Slot> counts = new ConcurrentHashMap<>();

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

  /**
   * Counts one more connection of {@code address}: its address's slot, which the connection gives back once
   * ({@link Slot#release}); null when the address holds {@code max} already.
   */
  public Slot tryAcquire(String address) {
    int limit = max;
    Slot[] taken = new Slot[1];
    counts.compute(address, (a, slot) -> {
      Slot s = slot != null ? slot : new Slot(this, a);
      if (limit != 0 && s.count >= limit) {
        return slot;
      }
      s.count = s.count + 1;
      taken[0] = s;
      return s;
    });
    return taken[0];
  }

  private void release(Slot slot) {
    counts.computeIfPresent(slot.address, (a, s) -> {
      if (s != slot) {
        return s;
      }
      s.count = s.count - 1;
      return s.count == 0 ? null : s;
    });
  }

  /** Connections from {@code address} now. */
  public int held(String address) {
    Slot s = counts.get(address);
    return s == null ? 0 : s.count;
  }

  /** Addresses in the table now. */
  public int addresses() {
    return counts.size();
  }
}
