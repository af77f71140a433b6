package dev.wsgate.admin;

import dev.wsgate.session.Session;
import java.util.List;

/** What the admin listener shows: readiness, metrics and sessions. */
public interface AdminView {

  /** Null when ready for traffic (listening, configuration loaded, not draining), else why not. */
  String notReadyBecause();

  /** The metrics in Prometheus' text format. */
  String scrape();

  /** The live sessions. */
  List<Session> sessions();
}
