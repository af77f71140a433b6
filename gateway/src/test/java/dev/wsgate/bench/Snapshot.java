package dev.wsgate.bench;

import java.util.Map;

/**
 * The soak's figures at one moment.
 *
 * @param nanos when ({@link System#nanoTime()})
 * @param metrics wsgate's {@code /metrics}
 * @param openFiles entries of wsgate's {@code /proc/PID/fd}
 * @param heapAfterGc wsgate's heap in use after a full collection, in bytes; -1 when not collected
 * @param clients the client processes' figures
 * @param upstreams the upstream processes' figures
 * @param wsgateCpu wsgate's user and system CPU time, in clock ticks
 * @param loadCpu the load processes' user and system CPU time together, in clock ticks
 * @param fileKinds wsgate's open files by kind and TCP state ({@link Proc#openFileKinds}); empty when not taken
 * @param kernelTcp the machine's TCP trouble counters ({@link Proc#kernelTcpCounters})
 */
record Snapshot(long nanos, AdminMetrics metrics, int openFiles, long heapAfterGc, LoadStats clients,
    LoadStats upstreams, long[] wsgateCpu, long[] loadCpu, Map<String, Integer> fileKinds,
    Map<String, Long> kernelTcp) {

  /** How the kernel's TCP counters grew since {@code earlier}: a loopback should show none of it. */
  String kernelTcpSince(Snapshot earlier) {
    return String.format(java.util.Locale.ROOT, "under TCP memory pressure %.1f s, %,d retransmission timeouts,"
        + " %,d segments dropped for a full receive queue, %,d segments retransmitted",
        grown("TCPMemoryPressuresChrono", earlier) / 1000.0, grown("TCPTimeouts", earlier),
        grown("TCPRcvQDrop", earlier), grown("RetransSegs", earlier));
  }

  private long grown(String counter, Snapshot earlier) {
    return kernelTcp.getOrDefault(counter, 0L) - earlier.kernelTcp.getOrDefault(counter, 0L);
  }

  double sessionsLive() {
    return metrics.sum("wsgate_sessions_live");
  }

  double directBytes() {
    return metrics.sum("wsgate_netty_direct_memory_used_bytes");
  }

  double heapUsedBytes() {
    return metrics.sum("jvm_memory_used_bytes", "area", "heap");
  }

  /** wsgate's CPU since {@code earlier}, in percent of one core: total, user, system. */
  double[] wsgateCpuSince(Snapshot earlier) {
    return cpu(wsgateCpu, earlier.wsgateCpu, earlier);
  }

  double[] loadCpuSince(Snapshot earlier) {
    return cpu(loadCpu, earlier.loadCpu, earlier);
  }

  private double[] cpu(long[] now, long[] then, Snapshot earlier) {
    double seconds = (nanos - earlier.nanos) / 1e9;
    double user = (now[0] - then[0]) / Proc.TICKS_PER_SECOND / seconds * 100;
    double system = (now[1] - then[1]) / Proc.TICKS_PER_SECOND / seconds * 100;
    return new double[] {user + system, user, system};
  }
}
