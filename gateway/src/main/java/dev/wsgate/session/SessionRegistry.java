package dev.wsgate.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/** Every live session of this process, in one place. Removal is idempotent. */
public final class SessionRegistry {

  private final ConcurrentHashMap<Long, Session> live = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> perRoute = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Object emptied = new Object();
  // Totals of finished sessions; live ones are summed when asked.
  private final LongAdder finishedFramesFromClient = new LongAdder();
  private final LongAdder finishedBytesFromClient = new LongAdder();
  private final LongAdder finishedFramesFromUpstream = new LongAdder();
  private final LongAdder finishedBytesFromUpstream = new LongAdder();

  /** A fresh session id, unique in this process. */
  public long nextId() {
    return ids.incrementAndGet();
  }

  public void add(Session session) {
    if (live.putIfAbsent(session.id(), session) != null) {
      throw new IllegalStateException("session " + session.id() + " is registered already");
    }
    perRoute.computeIfAbsent(session.route(), r -> new AtomicInteger()).incrementAndGet();
  }

  /**
   * Removes a session.
   *
   * @return true when it was live, false when it was removed before
   */
  public boolean remove(Session session) {
    if (!live.remove(session.id(), session)) {
      return false;
    }
    perRoute.get(session.route()).decrementAndGet();
    if (live.isEmpty()) {
      synchronized (emptied) {
        emptied.notifyAll();
      }
    }
    finishedFramesFromClient.add(session.framesFromClient());
    finishedBytesFromClient.add(session.bytesFromClient());
    finishedFramesFromUpstream.add(session.framesFromUpstream());
    finishedBytesFromUpstream.add(session.bytesFromUpstream());
    return true;
  }

  /**
   * Waits until no session is live, at most {@code timeout}; never on an event loop.
   *
   * @return true when the registry emptied in time
   */
  public boolean awaitEmpty(java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (emptied) {
      while (!live.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        emptied.wait(Math.max(1, left / 1_000_000), 0);
      }
      return true;
    }
  }

  /** Live sessions on a route. */
  public int liveOnRoute(String route) {
    AtomicInteger n = perRoute.get(route);
    return n == null ? 0 : n.get();
  }

  /** Data frames relayed from clients, by every session so far. */
  public long framesFromClient() {
    return total(finishedFramesFromClient, Session::framesFromClient);
  }

  public long bytesFromClient() {
    return total(finishedBytesFromClient, Session::bytesFromClient);
  }

  public long framesFromUpstream() {
    return total(finishedFramesFromUpstream, Session::framesFromUpstream);
  }

  public long bytesFromUpstream() {
    return total(finishedBytesFromUpstream, Session::bytesFromUpstream);
  }

  /** What finished sessions counted, and what the live ones count now. */
  private long total(LongAdder finished, ToLongFunction<Session> live) {
    long n = finished.sum();
    for (Session s : this.live.values()) {
      n += live.applyAsLong(s);
    }
    return n;
  }

  public int size() {
    return live.size();
  }

  public boolean contains(Session session) {
    return live.get(session.id()) == session;
  }

  /** A snapshot of the live sessions, in no particular order. */
  public List<Session> snapshot() {
    return new ArrayList<>(live.values());
  }

  /** The live sessions, as a view that changes as sessions come and go. */
  public Collection<Session> view() {
    return java.util.Collections.unmodifiableCollection(live.values());
  }
}
