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
  private final Total framesFromClient = new Total(Session::framesFromClient);
  private final Total bytesFromClient = new Total(Session::bytesFromClient);
  private final Total framesFromUpstream = new Total(Session::framesFromUpstream);
  private final Total bytesFromUpstream = new Total(Session::bytesFromUpstream);

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
    framesFromClient.finished(session);
    bytesFromClient.finished(session);
    framesFromUpstream.finished(session);
    bytesFromUpstream.finished(session);
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

  /** Data frames relayed from clients, by every session so far; never goes down. */
  public long framesFromClient() {
    return framesFromClient.read();
  }

  public long bytesFromClient() {
    return bytesFromClient.read();
  }

  public long framesFromUpstream() {
    return framesFromUpstream.read();
  }

  public long bytesFromUpstream() {
    return bytesFromUpstream.read();
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

  /**
   * A count over every session so far, kept without any work per frame: what finished sessions counted, plus what
   * the live ones count when asked. It backs a Prometheus counter, which must never go down (a drop reads as a
   * restart). A session leaves {@code live} before its count joins {@code finished}, so a read in between misses
   * it, and never counts it twice; each read is therefore held at the highest value read before, and lags for that
   * moment instead of going down.
   */
  private final class Total {
    private final ToLongFunction<Session> count;
    private final LongAdder finished = new LongAdder();
    private final AtomicLong highest = new AtomicLong();

    Total(ToLongFunction<Session> count) {
      this.count = count;
    }

    /** Called once per session, after it left {@code live}. */
    void finished(Session session) {
      finished.add(count.applyAsLong(session));
    }

    long read() {
      long n = finished.sum();
      for (Session s : live.values()) {
        n += count.applyAsLong(s);
      }
      return highest.accumulateAndGet(n, Math::max);
    }
  }
}
