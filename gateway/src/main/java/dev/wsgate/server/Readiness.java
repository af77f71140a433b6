package dev.wsgate.server;

/** Whether wsgate takes new sessions: it does from start until it drains or stops. Any thread. */
final class Readiness {

  private volatile boolean draining;
  private volatile boolean stopped;

  void startDraining() {
    draining = true;
  }

  void stop() {
    stopped = true;
  }

  boolean isDraining() {
    return draining;
  }

  /** Null when ready for traffic, else why not. */
  String notReadyBecause() {
    if (stopped) {
      return "stopped";
    }
    return draining ? "draining" : null;
  }
}
