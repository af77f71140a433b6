package dev.wsgate.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@link ReusePortScale}, {@code --name value} each, with their defaults.
 *
 * @param sessions sessions held through all the wsgate processes together
 * @param processes wsgate processes sharing the one listen port
 * @param holdSeconds how long the sessions are held once all are up
 * @param ramp sessions opened per second, all client processes together, while they are first opened
 * @param clientProcesses JVMs holding the clients (0: one per {@link #SESSIONS_PER_LOAD_PROCESS} sessions)
 * @param upstreamProcesses JVMs holding the upstreams, each on a port of its own (0: as many as client processes)
 * @param messageEverySeconds a client sends a message (echoed by its upstream) about this often
 */
record ScaleOptions(int sessions, int processes, int holdSeconds, int ramp, int clientProcesses,
    int upstreamProcesses, int messageEverySeconds) {

  /**
   * Sessions a load process holds: one socket each, well under the limit of 20,000 open files a process; with no
   * churn and no floods, one event loop keeps up with more than the churn soak's 4,500.
   */
  static final int SESSIONS_PER_LOAD_PROCESS = 7_500;

  static ScaleOptions parse(String[] args) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("--sessions", "27000");
    v.put("--processes", "3");
    v.put("--hold-s", "60");
    v.put("--ramp", "300");
    v.put("--client-processes", "0");
    v.put("--upstream-processes", "0");
    v.put("--message-every-s", "60");
    v = BenchArgs.parse(args, v);
    int sessions = Integer.parseInt(v.get("--sessions"));
    int clients = Integer.parseInt(v.get("--client-processes"));
    clients = clients > 0 ? clients : (sessions + SESSIONS_PER_LOAD_PROCESS - 1) / SESSIONS_PER_LOAD_PROCESS;
    int upstreams = Integer.parseInt(v.get("--upstream-processes"));
    ScaleOptions o = new ScaleOptions(sessions, Integer.parseInt(v.get("--processes")),
        Integer.parseInt(v.get("--hold-s")), Integer.parseInt(v.get("--ramp")), clients,
        upstreams > 0 ? upstreams : clients, Integer.parseInt(v.get("--message-every-s")));
    if (sessions < 1 || o.processes < 1 || o.holdSeconds < 1 || o.ramp < 1) {
      throw new IllegalArgumentException("need --sessions, --processes, --hold-s and --ramp of 1 or more: " + o);
    }
    return o;
  }

  String describe() {
    return String.format(Locale.ROOT, "%,d sessions over %d wsgate processes on one port, held %d s; opened at"
        + " %d a second from %d client processes, to %d upstream processes; a message every %d s a client",
        sessions, processes, holdSeconds, ramp, clientProcesses, upstreamProcesses, messageEverySeconds);
  }
}
