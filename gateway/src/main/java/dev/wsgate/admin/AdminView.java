package dev.wsgate.admin;

import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.routing.Router;
import dev.wsgate.session.Session;
import java.util.List;

/** What the admin listener shows: readiness, metrics, sessions, and the status page's view of them. */
public interface AdminView {

  /** Null when ready for traffic (listening, configuration loaded, not draining), else why not. */
  String notReadyBecause();

  /** True once wsgate drains its sessions (shutdown). */
  boolean draining();

  /** The metrics in Prometheus' text format. */
  String scrape();

  /** The live sessions. */
  List<Session> sessions();

  /** How many sessions are live, all routes. */
  int liveSessions();

  /** How many sessions are live on a route (by its id). */
  int liveSessions(String route);

  /** The routes new sessions are matched against, with their upstream pools. */
  Router router();

  /** The meters, read on request. */
  GatewayMetrics metrics();
}
