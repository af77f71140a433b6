package dev.wsgate.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@link ChurnSoak}, {@code --name value} each, with their defaults.
 *
 * @param sessions sessions held through wsgate
 * @param seconds how long the churn lasts ({@code --minutes}, fractional allowed, or {@code --seconds})
 * @param churn sessions ended, and as many opened, per second
 * @param slowPercent share of clients that read slowly while their upstream sends as fast as it may
 * @param slowKibPerSecond how fast a slow client reads
 * @param floodFrameBytes size of the binary frames an upstream sends a slow client
 * @param clientProcesses JVMs holding the clients (0: one per 4,500 sessions)
 * @param upstreamProcesses JVMs holding the upstreams (0: one per 4,500 sessions)
 * @param ramp sessions opened per second while the sessions are first opened
 * @param messageEverySeconds a live client sends a message about this often
 * @param settleSeconds pause between the ramp-up and the start figures
 * @param seed seed of the load's random choices
 */
record SoakOptions(int sessions, double seconds, double churn, double slowPercent, int slowKibPerSecond,
    int floodFrameBytes, int clientProcesses, int upstreamProcesses, int ramp, int messageEverySeconds,
    int settleSeconds, long seed) {

  /** Sockets per load process stay well under the per-process limit of 20,000 open files. */
  static final int SESSIONS_PER_PROCESS = 4500;

  static SoakOptions parse(String[] args) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("--sessions", "9000");
    v.put("--minutes", "10");
    v.put("--seconds", "");
    v.put("--churn", "50");
    v.put("--slow-percent", "5");
    v.put("--slow-kib-per-s", "64");
    v.put("--flood-frame", "4096");
    v.put("--client-processes", "0");
    v.put("--upstream-processes", "0");
    v.put("--ramp", "300");
    v.put("--message-every-s", "30");
    v.put("--settle-s", "10");
    v.put("--seed", "1");
    v = BenchArgs.parse(args, v);
    int sessions = Integer.parseInt(v.get("--sessions"));
    double seconds = v.get("--seconds").isEmpty() ? Double.parseDouble(v.get("--minutes")) * 60
        : Double.parseDouble(v.get("--seconds"));
    int perProcess = (sessions + SESSIONS_PER_PROCESS - 1) / SESSIONS_PER_PROCESS;
    int clients = Integer.parseInt(v.get("--client-processes"));
    int upstreams = Integer.parseInt(v.get("--upstream-processes"));
    SoakOptions o = new SoakOptions(sessions, seconds, Double.parseDouble(v.get("--churn")),
        Double.parseDouble(v.get("--slow-percent")), Integer.parseInt(v.get("--slow-kib-per-s")),
        Integer.parseInt(v.get("--flood-frame")), clients > 0 ? clients : perProcess,
        upstreams > 0 ? upstreams : perProcess, Integer.parseInt(v.get("--ramp")),
        Integer.parseInt(v.get("--message-every-s")), Integer.parseInt(v.get("--settle-s")),
        Long.parseLong(v.get("--seed")));
    if (sessions < 1 || seconds <= 0 || o.churn < 0 || o.ramp < 1 || sessions > 9_800) {
      throw new IllegalArgumentException("need 1 <= --sessions <= 9800 (wsgate holds two sockets a session under"
          + " 20,000 open files), a positive duration and --ramp, a --churn of 0 or more: " + o);
    }
    return o;
  }

  /** Sessions wsgate accepts at once: the held ones plus room for those being evicted, under its open files. */
  int maxConnections() {
    return Math.min(sessions + 600, 9_900);
  }

  String describe() {
    return String.format(Locale.ROOT, "%d sessions, %.0f s of churn at %.1f sessions/s, %.1f%% slow readers"
        + " (%d KiB/s, %d-byte frames from their upstream), %d client and %d upstream processes, seed %d",
        sessions, seconds, churn, slowPercent, slowKibPerSecond, floodFrameBytes, clientProcesses,
        upstreamProcesses, seed);
  }
}
