package dev.wsgate.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Every live session of this process, in one place. Removal is idempotent. */
public final class SessionRegistry {

  private final ConcurrentHashMap<Long, Session> live = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  /** A fresh session id, unique in this process. */
  public long nextId() {
    return ids.incrementAndGet();
  }

  public void add(Session session) {
    if (live.putIfAbsent(session.id(), session) != null) {
      throw new IllegalStateException("session " + session.id() + " is registered already");
    }
  }

  /**
   * Removes a session.
   *
   * @return true when it was live, false when it was removed before
   */
  public boolean remove(Session session) {
    return live.remove(session.id(), session);
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
