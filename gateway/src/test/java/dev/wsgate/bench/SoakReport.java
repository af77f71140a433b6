package dev.wsgate.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The soak's figures, each with its unit, and its expectations: no live peer evicted, the live heap flat within 5 %,
 * wsgate's open files back to their start figure with the same sessions, no {@code LEAK:} report, silent peers
 * evicted at about 3-4 s. Each expectation that does not hold gets a {@code FAIL:} line.
 */
final class SoakReport {

  private static final double MIB = 1024 * 1024;
  private static final double HEAP_TOLERANCE = 0.05;
  /** TCP connections wsgate may hold beyond two per live session: the soak's own connections to /metrics. */
  private static final int ADMIN_CONNECTIONS = 2;
  /** Other open files wsgate may hold beyond its start figure: a connection on its way up or down. */
  private static final int OTHER_FILES_TOLERANCE = 5;
  private static final String ESTABLISHED = "tcp ESTABLISHED";
  private static final long SILENT_EVICTION_LIMIT_MS = 4500;

  private final Snapshot start;
  private final Snapshot churnStop;
  private final Snapshot end;
  private final WsgateProcess wsgate;

  /**
   * @param start the figures once all sessions were up, before the churn
   * @param churnStop the figures when the churn stopped: rates and CPU are over start to churnStop
   * @param end the figures once the last endings were through, sessions as at the start
   */
  SoakReport(Snapshot start, Snapshot churnStop, Snapshot end, WsgateProcess wsgate) {
    this.start = start;
    this.churnStop = churnStop;
    this.end = end;
    this.wsgate = wsgate;
  }

  /** Sessions, open files, heap and direct memory of wsgate at one moment. */
  static String state(Snapshot s) {
    return String.format(Locale.ROOT, "%.0f sessions live, %,d open files, heap %s, Netty direct memory %.1f MiB",
        s.sessionsLive(), s.openFiles(), s.heapAfterGc() >= 0
            ? String.format(Locale.ROOT, "%.1f MiB in use after full GC", s.heapAfterGc() / MIB)
            : String.format(Locale.ROOT, "%.1f MiB in use (not collected)", s.heapUsedBytes() / MIB),
        s.directBytes() / MIB);
  }

  /** The line printed every 30 s of churn. */
  static String progress(Snapshot start, Snapshot last, Snapshot now, int leaks) {
    double[] cpu = now.wsgateCpuSince(last);
    double[] load = now.loadCpuSince(last);
    AdminMetrics m = now.metrics();
    return String.format(Locale.ROOT, "[%4.0f s] %.0f sessions live; opened %,.0f, ended %,.0f %s; evictions"
        + " client %.0f / upstream %.0f (silent deaths caused %d / %d); unexpected ends at clients %d;"
        + " open files %,d; heap %.0f MiB (not collected); direct %.1f MiB; CPU wsgate %.0f%%, load %.0f%%"
        + " (100%% = one core); LEAK reports %d; kernel: TCP memory %.0f MiB, %s",
        (now.nanos() - start.nanos()) / 1e9, now.sessionsLive(),
        m.sum("wsgate_sessions_opened_total") - start.metrics().sum("wsgate_sessions_opened_total"),
        m.sum("wsgate_sessions_ended_by_reason_total") - start.metrics().sum("wsgate_sessions_ended_by_reason_total"),
        compact(diff(m.by("wsgate_sessions_ended_by_reason_total", "reason"),
            start.metrics().by("wsgate_sessions_ended_by_reason_total", "reason"))),
        m.sum("wsgate_evictions_total", "leg", "client"), m.sum("wsgate_evictions_total", "leg", "upstream"),
        now.clients().sum("initiated_" + Ending.CLIENT_SILENT.name()),
        now.upstreams().sum("ended_" + Ending.UPSTREAM_SILENT.name()), now.clients().sum("unexpected"),
        now.openFiles(), now.heapUsedBytes() / MIB, now.directBytes() / MIB, cpu[0], load[0], leaks,
        Proc.kernelTcpMemoryBytes() / MIB, now.kernelTcpSince(last));
  }

  void print(PrintStream out) {
    List<String> fails = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    AdminMetrics m = end.metrics();
    LoadStats clients = end.clients();
    LoadStats upstreams = end.upstreams();
    double churnSeconds = (churnStop.nanos() - start.nanos()) / 1e9;
    out.println();
    out.println(String.format(Locale.ROOT, "=== churn soak figures: wsgate's counters over its whole run, rates over"
        + " the %.0f s of churn ===", churnSeconds));

    out.printf(Locale.ROOT, "sessions opened: %,.0f (wsgate_sessions_opened_total), %,.0f of them during the churn;"
        + " clients: %,d handshakes completed, %,d failed%s%n", m.sum("wsgate_sessions_opened_total"),
        m.sum("wsgate_sessions_opened_total") - start.metrics().sum("wsgate_sessions_opened_total"),
        clients.sum("opened"), clients.sum("failed"),
        clients.tally("failures").isEmpty() ? "" : " " + clients.tally("failures"));

    out.println("sessions ended by reason (wsgate_sessions_ended_by_reason_total), against what the soak caused:");
    Map<String, Double> byReason = m.by("wsgate_sessions_ended_by_reason_total", "reason");
    Map<String, Long> caused = new TreeMap<>();
    for (Ending e : Ending.values()) {
      caused.put(e.reason(), caused(e, clients, upstreams));
    }
    Map<String, Boolean> reasons = new TreeMap<>();
    byReason.keySet().forEach(r -> reasons.put(r, true));
    caused.keySet().forEach(r -> reasons.put(r, true));
    for (String r : reasons.keySet()) {
      double counted = byReason.getOrDefault(r, 0.0);
      Long expected = caused.get(r);
      out.printf(Locale.ROOT, "  %-20s %,8.0f sessions   (caused: %s)%n", r, counted,
          expected == null ? "none" : String.format(Locale.ROOT, "%,d", expected));
      if (expected == null ? counted > 0 : counted != expected) {
        notes.add(String.format(Locale.ROOT, "NOTE: %s: wsgate counted %,.0f sessions, the soak caused %,d", r,
            counted, expected == null ? 0 : expected));
      }
    }
    out.println("sessions closed (wsgate_sessions_closed_total by reason, closed_by, code):");
    m.by("wsgate_sessions_closed_total", "reason", "closed_by", "code").forEach((k, v) ->
        out.printf(Locale.ROOT, "  %-40s %,8.0f sessions%n", k, v));

    long clientSilent = caused(Ending.CLIENT_SILENT, clients, upstreams);
    long upstreamSilent = caused(Ending.UPSTREAM_SILENT, clients, upstreams);
    double evictedClient = m.sum("wsgate_evictions_total", "leg", "client");
    double evictedUpstream = m.sum("wsgate_evictions_total", "leg", "upstream");
    LatencyHistogram clientLeg = upstreams.histogram("client_silent_evicted");
    LatencyHistogram upstreamLeg = clients.histogram("upstream_silent_evicted");
    out.printf(Locale.ROOT, "silent deaths caused: %,d clients, %,d upstreams%n", clientSilent, upstreamSilent);
    out.printf(Locale.ROOT, "  silent client evicted after (its upstream sees the 1001): %s%n", clientLeg.describe());
    out.printf(Locale.ROOT, "  silent upstream evicted after (its client sees the 1014; slow readers left out): %s%n",
        upstreamLeg.describe());
    out.printf(Locale.ROOT, "evictions (wsgate_evictions_total): %,.0f on the client leg, %,.0f on the upstream leg%n",
        evictedClient, evictedUpstream);
    double liveClient = evictedClient - clientSilent;
    double liveUpstream = evictedUpstream - upstreamSilent;
    out.printf(Locale.ROOT, "live peers evicted: %,.0f (client leg %,.0f, upstream leg %,.0f)%n",
        Math.max(0, liveClient) + Math.max(0, liveUpstream), liveClient, liveUpstream);
    if (liveClient > 0 || liveUpstream > 0) {
      fails.add(String.format(Locale.ROOT, "FAIL: live peers evicted: %,.0f on the client leg, %,.0f on the"
          + " upstream leg (evictions minus silent deaths caused)", Math.max(0, liveClient),
          Math.max(0, liveUpstream)));
    }
    if (liveClient < 0 || liveUpstream < 0) {
      fails.add(String.format(Locale.ROOT, "FAIL: silent peers not evicted: %,.0f clients, %,.0f upstreams",
          Math.max(0, -liveClient), Math.max(0, -liveUpstream)));
    }
    long late = clientLeg.countAbove(SILENT_EVICTION_LIMIT_MS) + upstreamLeg.countAbove(SILENT_EVICTION_LIMIT_MS);
    if (late > 0) {
      fails.add(String.format(Locale.ROOT, "FAIL: %,d silent peers evicted later than %.1f s (client leg max %.2f s,"
          + " upstream leg max %.2f s)", late, SILENT_EVICTION_LIMIT_MS / 1000.0, clientLeg.maxSeconds(),
          upstreamLeg.maxSeconds()));
    }
    Map<String, Long> unexpected = clients.tally("unexpected_how");
    long slow = unexpected.entrySet().stream().filter(e -> e.getKey().startsWith("slow_"))
        .mapToLong(Map.Entry::getValue).sum();
    out.printf(Locale.ROOT, "live sessions ended without being asked, as their clients saw it: %,d, of them %,d slow"
        + " readers and %,d others%s%n", clients.sum("unexpected"), slow, clients.sum("unexpected") - slow,
        unexpected.isEmpty() ? "" : " (by close code or how; slow_ = slow reader): " + unexpected);

    double heapStart = start.heapAfterGc();
    double heapEnd = end.heapAfterGc();
    double heapChange = (heapEnd - heapStart) / heapStart;
    boolean heapFlat = Math.abs(heapChange) <= HEAP_TOLERANCE;
    out.printf(Locale.ROOT, "live heap after full GC: %.1f MiB at the start, %.1f MiB at the end (%+.1f%%): %s%n",
        heapStart / MIB, heapEnd / MIB, heapChange * 100, heapFlat ? "flat within 5%" : "NOT flat within 5%");
    if (!heapFlat) {
      fails.add(String.format(Locale.ROOT, "FAIL: live heap not flat within 5%%: it %s, %.1f MiB -> %.1f MiB"
          + " (%+.1f%%)", heapChange > 0 ? "grew" : "shrank", heapStart / MIB, heapEnd / MIB, heapChange * 100));
    }
    out.printf(Locale.ROOT, "Netty direct memory (wsgate_netty_direct_memory_used_bytes): %.1f MiB at the start,"
        + " %.1f MiB at the end (%,.0f -> %,.0f bytes)%n", start.directBytes() / MIB, end.directBytes() / MIB,
        start.directBytes(), end.directBytes());

    String notBack = filesNotBack(start.fileKinds(), end.fileKinds(), end.sessionsLive());
    boolean filesBack = notBack == null;
    out.printf(Locale.ROOT, "open files of wsgate (/proc/%d/fd): %,d with %.0f sessions at the start, %,d with %.0f"
        + " sessions at the end (%+d files): %s%n", wsgate.pid(), start.openFiles(), start.sessionsLive(),
        end.openFiles(), end.sessionsLive(), end.openFiles() - start.openFiles(),
        filesBack ? "back" : "NOT back");
    out.println("  by kind at the start: " + start.fileKinds());
    out.println("  by kind at the end:   " + end.fileKinds());
    out.println("  (back: at most two established TCP connections per live session, plus the soak's to /metrics,"
        + " and no more other open files than at the start)");
    if (!filesBack) {
      fails.add(String.format(Locale.ROOT, "FAIL: open files not back: %,d at the end with %.0f sessions, %,d at"
          + " the start with %.0f sessions: %s", end.openFiles(), end.sessionsLive(), start.openFiles(),
          start.sessionsLive(), notBack));
    }

    int leaks = wsgate.leaks();
    out.printf(Locale.ROOT, "LEAK: reports in wsgate's output: %d%n", leaks);
    if (leaks > 0) {
      fails.add("FAIL: " + leaks + " LEAK: reports in wsgate's output (target/churn-soak/wsgate.log); the first:");
      wsgate.firstLeak().forEach(l -> fails.add("    " + l));
    }
    out.printf(Locale.ROOT, "wsgate's log: %d WARN lines, %d ERROR lines (target/churn-soak/wsgate.log)%n",
        wsgate.warnings(), wsgate.errors());

    double[] cpu = churnStop.wsgateCpuSince(start);
    double[] load = churnStop.loadCpuSince(start);
    out.printf(Locale.ROOT, "CPU during the churn (100%% = one core): wsgate %.0f%% (user %.0f%%, system %.0f%%),"
        + " load processes together %.0f%%%n", cpu[0], cpu[1], cpu[2], load[0]);
    out.println("kernel TCP during the churn (the whole machine; a loopback loses nothing by itself): "
        + churnStop.kernelTcpSince(start));
    AdminMetrics c = churnStop.metrics();
    out.printf(Locale.ROOT, "heartbeat: %,.0f pings/s sent by wsgate during the churn, %,.0f pongs/s received%n",
        (c.sum("wsgate_heartbeat_pings_total") - start.metrics().sum("wsgate_heartbeat_pings_total")) / churnSeconds,
        (c.sum("wsgate_heartbeat_pongs_total") - start.metrics().sum("wsgate_heartbeat_pongs_total"))
            / churnSeconds);
    out.printf(Locale.ROOT, "load: %,d messages sent by clients, %,d echoed back; slow readers (%d live at the end)"
        + " read %.2f MiB/s together from their floods; forced closes by the load: %s; upstream errors: %s%n",
        clients.sum("messages_out"), clients.sum("messages_in"), clients.sum("slow_live"),
        (churnStop.clients().sum("flood_bytes_in") - start.clients().sum("flood_bytes_in")) / MIB / churnSeconds,
        clients.tally("forced").isEmpty() ? "none" : clients.tally("forced"),
        upstreams.tally("errors").isEmpty() ? "none" : upstreams.tally("errors"));
    if (!clients.tally("forced").isEmpty()) {
      notes.add("NOTE: sessions the load had to reset because wsgate did not close them in time: "
          + clients.tally("forced"));
    }

    out.println();
    notes.forEach(out::println);
    fails.forEach(out::println);
    if (fails.isEmpty()) {
      out.println("all expectations held: no live peer evicted, heap flat within 5%, open files back, no LEAK"
          + " report, silent peers evicted within " + SILENT_EVICTION_LIMIT_MS / 1000.0 + " s");
    }
  }

  /**
   * Whether wsgate's open files are back, given its live sessions: no more established TCP connections than two a
   * session (a session being evicted may already have one leg closed, so fewer is fine), and no more other open
   * files (sockets in other states, pipes, files) than at the start. Null when back, else what is not.
   */
  static String filesNotBack(Map<String, Integer> startKinds, Map<String, Integer> kinds, double sessionsLive) {
    List<String> why = new ArrayList<>();
    int established = kinds.getOrDefault(ESTABLISHED, 0);
    if (established > 2 * sessionsLive + ADMIN_CONNECTIONS) {
      why.add(String.format(Locale.ROOT, "%,d established TCP connections for %.0f sessions", established,
          sessionsLive));
    }
    int others = others(kinds);
    int othersAtStart = others(startKinds);
    if (others > othersAtStart + OTHER_FILES_TOLERANCE) {
      Map<String, Integer> grown = new TreeMap<>();
      kinds.forEach((k, n) -> {
        if (!k.equals(ESTABLISHED) && n > startKinds.getOrDefault(k, 0)) {
          grown.put(k, n - startKinds.getOrDefault(k, 0));
        }
      });
      why.add(String.format(Locale.ROOT, "%,d other open files, %,d at the start (grown: %s)", others,
          othersAtStart, grown));
    }
    return why.isEmpty() ? null : String.join("; ", why);
  }

  private static int others(Map<String, Integer> kinds) {
    int n = 0;
    for (Map.Entry<String, Integer> e : kinds.entrySet()) {
      n += e.getKey().equals(ESTABLISHED) ? 0 : e.getValue();
    }
    return n;
  }

  private static long caused(Ending e, LoadStats clients, LoadStats upstreams) {
    return e.byUpstream() ? upstreams.sum("ended_" + e.name()) : clients.sum("initiated_" + e.name());
  }

  private static Map<String, Double> diff(Map<String, Double> now, Map<String, Double> then) {
    Map<String, Double> d = new TreeMap<>();
    now.forEach((k, v) -> d.put(k, v - then.getOrDefault(k, 0.0)));
    return d;
  }

  private static String compact(Map<String, Double> m) {
    StringBuilder b = new StringBuilder("(");
    m.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append(' ')
        .append(String.format(Locale.ROOT, "%.0f", v)));
    return b.append(')').toString();
  }
}
