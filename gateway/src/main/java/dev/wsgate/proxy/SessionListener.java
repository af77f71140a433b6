package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;

/** What the proxy tells the rest of wsgate about a session: its bad input and its end. */
public interface SessionListener {

  /**
   * A peer broke the protocol (or sent invalid UTF-8, or a frame too big); Netty has sent it {@code code}. Called
   * at most once per session.
   */
  void protocolError(Session session, Leg leg, int code, String reason);

  /** Both connections of the session are closed; called exactly once. */
  void finished(Session session);
}
