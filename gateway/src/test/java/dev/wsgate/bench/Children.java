package dev.wsgate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The processes the soak started, ended when it ends: on its way out, and from a shutdown hook should it be
 * interrupted (Ctrl-C). Each is asked to stop (SIGTERM), then killed if it has not within 10 s. Only these
 * processes, by their own handles.
 */
final class Children implements AutoCloseable {

  private final List<Process> processes = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "churn-soak-children");

  Children() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  synchronized Process add(Process p) {
    processes.add(p);
    return p;
  }

  /**
   * Stops one process now (SIGTERM, then SIGKILL after 10 s), and then any of the processes it had started that
   * outlive it (nginx's workers, should its master be killed), by their ids as seen before the SIGTERM.
   */
  static void stop(Process p) {
    if (!p.isAlive()) {
      return;
    }
    List<ProcessHandle> descendants = p.descendants().toList();
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle d : descendants) {
      if (d.isAlive()) {
        d.destroyForcibly();
      }
    }
  }

  private synchronized void stopAll() {
    // the load first, so that wsgate is not left with sessions to drain; in reverse order of start
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).destroy();
    }
    for (int i = processes.size() - 1; i >= 0; i--) {
      stop(processes.get(i));
    }
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }
}
