package dev.wsgate.peers;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;

/**
 * One leg's heartbeat counters from wsgate's session registry, read once, pongs first: a pong is only counted after
 * its ping, so read in this order the pongs never run ahead of the pings.
 */
record LegCounts(long pongs, long pings, long rttNanos) {

  static LegCounts of(Session session, Leg leg) {
    Session.LegStatus s = session.leg(leg);
    long pongs = s.pongsReceived();
    return new LegCounts(pongs, s.pingsSent(), s.lastRttNanos());
  }

  @Override
  public String toString() {
    return String.format("pings %d, pongs %d, last RTT %.3f ms", pings, pongs, rttNanos / 1e6);
  }
}
