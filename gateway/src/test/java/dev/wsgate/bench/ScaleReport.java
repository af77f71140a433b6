package dev.wsgate.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@link ReusePortScale} prints of its wsgate processes at the end of the hold: for each, from its own
 * {@code /metrics}, its share of the sessions, what it opened, closed, evicted and refused, its heartbeat pings;
 * from {@code /proc}, its CPU over the hold, resident memory and open files against its limit; a sum row; and a
 * {@code FAIL:} line for each expectation that did not hold.
 */
final class ScaleReport {

  /** One wsgate process at one moment: its {@code /metrics} and what {@code /proc} says of it. */
  record Figures(AdminMetrics metrics, long rssKiB, int openFiles, long openFilesLimit, long[] cpuTicks,
      long nanoTime) {

    static Figures of(WsgateProcess w) throws IOException, InterruptedException {
      return new Figures(w.metrics(), Proc.statusKiB(w.pid(), "VmRSS"), w.openFiles(), Proc.openFilesLimit(w.pid()),
          Proc.cpuTicks(w.pid()), System.nanoTime());
    }

    double live() {
      return metrics.sum("wsgate_sessions_live");
    }

    double upstreamConnectsFailed() {
      return metrics.sum("wsgate_upstream_connects_total")
          - metrics.sum("wsgate_upstream_connects_total", "outcome", "success");
    }
  }

  private final int sessions;
  private final List<WsgateProcess> processes;
  private final List<Integer> adminPorts;
  private final List<Figures> start;
  private final List<Figures> end;
  private final List<String> failures = new ArrayList<>();

  /**
   * @param start each process's figures at the start of the hold, in the order of {@code processes}
   * @param end   the same at its end
   */
  ScaleReport(int sessions, List<WsgateProcess> processes, List<Integer> adminPorts, List<Figures> start,
      List<Figures> end) {
    this.sessions = sessions;
    this.processes = processes;
    this.adminPorts = adminPorts;
    this.start = start;
    this.end = end;
  }

  /** Prints the table, then the clients' and upstreams' figures, then the {@code FAIL:} lines. */
  void print(LoadStats clients, LoadStats upstreams, PrintStream out) {
    out.println("| wsgate | admin /metrics | sessions live | share | opened | closed | evicted | handshakes refused"
        + " | upstream connects failed | pings/s in the hold | CPU in the hold | RSS | open files (limit) |");
    out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    double[] sum = new double[8];
    for (int i = 0; i < processes.size(); i++) {
      Figures a = start.get(i);
      Figures b = end.get(i);
      double seconds = (b.nanoTime() - a.nanoTime()) / 1e9;
      double[] row = {b.live(), b.metrics().sum("wsgate_sessions_opened_total"),
          b.metrics().sum("wsgate_sessions_closed_total"), b.metrics().sum("wsgate_evictions_total"),
          b.metrics().sum("wsgate_handshake_rejections_total"), b.upstreamConnectsFailed(),
          (b.metrics().sum("wsgate_heartbeat_pings_total") - a.metrics().sum("wsgate_heartbeat_pings_total"))
              / seconds, cpuPercent(a, b)};
      for (int k = 0; k < row.length; k++) {
        sum[k] += row[k];
      }
      out.printf(Locale.ROOT, "| %d (pid %d) | 127.0.0.1:%d | %,.0f | %.1f %% | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f"
          + " | %,.0f | %.0f %% | %.0f MiB | %,d (%,d) |%n", i + 1, processes.get(i).pid(), adminPorts.get(i),
          row[0], 100 * row[0] / sessions, row[1], row[2], row[3], row[4], row[5], row[6], row[7],
          b.rssKiB() / 1024.0, b.openFiles(), b.openFilesLimit());
      if (b.openFiles() >= b.openFilesLimit()) {
        failures.add("wsgate " + (i + 1) + " is at its limit of open files");
      }
      if (row[0] == 0) {
        failures.add("wsgate " + (i + 1) + " holds no session: the kernel did not spread connections to it");
      }
    }
    long rss = end.stream().mapToLong(Figures::rssKiB).sum();
    int files = end.stream().mapToInt(Figures::openFiles).sum();
    out.printf(Locale.ROOT, "| all %d | | %,.0f | %.1f %% | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %.0f %%"
        + " | %.0f MiB | %,d |%n", processes.size(), sum[0], 100 * sum[0] / sessions, sum[1], sum[2], sum[3], sum[4],
        sum[5], sum[6], sum[7], rss / 1024.0, files);
    out.printf(Locale.ROOT, "per session, all processes together: %.1f KiB resident (with each JVM's own), %.2f open"
        + " files%n", (double) rss / sum[0], files / sum[0]);
    out.printf(Locale.ROOT, "clients: %,d live, %,d opened, %,d handshakes failed%s, %,d sessions ended that nobody"
        + " asked to end%s%n", clients.sum("live"), clients.sum("opened"), clients.sum("failed"),
        clients.tally("failures").isEmpty() ? "" : " " + clients.tally("failures"), clients.sum("unexpected"),
        clients.tally("unexpected_how").isEmpty() ? "" : " " + clients.tally("unexpected_how"));
    out.printf(Locale.ROOT, "upstreams: %,d live, %,d opened, %,d messages echoed%n", upstreams.sum("live"),
        upstreams.sum("opened"), upstreams.sum("echoed"));
    expect(sum[0] == sessions, "the processes' wsgate_sessions_live sum to %,.0f, not %,d", sum[0], sessions);
    expect(clients.sum("live") == sessions, "%,d clients live, not %,d", clients.sum("live"), sessions);
    expect(sum[2] == 0, "%,.0f sessions closed", sum[2]);
    expect(sum[3] == 0, "%,.0f peers evicted", sum[3]);
    expect(sum[4] == 0 && clients.sum("failed") == 0, "%,.0f handshakes refused by wsgate, %,d failed at the clients",
        sum[4], clients.sum("failed"));
    expect(sum[5] == 0, "%,.0f upstream connects failed", sum[5]);
    expect(clients.sum("unexpected") == 0, "%,d sessions ended unasked", clients.sum("unexpected"));
    for (String f : failures) {
      out.println("FAIL: " + f);
    }
    if (failures.isEmpty()) {
      out.println("every expectation held");
    }
  }

  private void expect(boolean held, String format, Object... args) {
    if (!held) {
      failures.add(String.format(Locale.ROOT, format, args));
    }
  }

  private static double cpuPercent(Figures a, Figures b) {
    long ticks = b.cpuTicks()[0] + b.cpuTicks()[1] - a.cpuTicks()[0] - a.cpuTicks()[1];
    return 100 * ticks / Proc.TICKS_PER_SECOND / ((b.nanoTime() - a.nanoTime()) / 1e9);
  }
}
