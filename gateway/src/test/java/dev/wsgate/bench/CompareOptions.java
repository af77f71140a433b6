package dev.wsgate.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@link ProxyComparison}, {@code --name value} each, with their defaults.
 *
 * @param connections echo connections through each path
 * @param window messages each connection keeps in flight
 * @param size bytes of each message
 * @param rounds measured rounds; each measures every path once, the order mirrored from one round to the next
 * @param seconds measured time of each path in each round
 * @param warmupSeconds echo load through each path once before the first round, not measured
 * @param settleSeconds pause between opening the echo connections and measuring
 * @param idle idle sessions held through each proxy for its memory (0: no memory phase)
 * @param idlePerProcess idle sessions a load process holds at most (one socket each)
 * @param idleRate idle sessions opened per second, all load processes together
 * @param holdSeconds how long the idle sessions are held before memory is read a second time (0: not read again):
 *     what a long-lived session costs once the garbage of its handshake is collected and returned
 * @param proxies which proxies, in the order of the first round
 * @param nginx the nginx binary
 * @param haproxy the HAProxy binary
 * @param workers nginx worker processes, HAProxy threads (wsgate takes one event loop per core, 2 here)
 * @param upstreamThreads event loops of the echo upstream
 */
record CompareOptions(int connections, int window, int size, int rounds, int seconds, int warmupSeconds,
    int settleSeconds, int idle, int idlePerProcess, int idleRate, int holdSeconds, List<String> proxies, String nginx,
    String haproxy, int workers, int upstreamThreads) {

  static CompareOptions parse(String[] args) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("--connections", "50");
    v.put("--window", "4");
    v.put("--size", "128");
    v.put("--rounds", "2");
    v.put("--seconds", "20");
    v.put("--warmup", "20");
    v.put("--settle", "2");
    v.put("--idle", "9500");
    v.put("--idle-per-process", "5000");
    v.put("--idle-rate", "1000");
    v.put("--hold", "60");
    v.put("--proxies", "wsgate,nginx,haproxy");
    v.put("--nginx", "/usr/sbin/nginx");
    v.put("--haproxy", "/usr/sbin/haproxy");
    v.put("--workers", "2");
    v.put("--upstream-threads", "1");
    v = BenchArgs.parse(args, v);
    List<String> proxies = new ArrayList<>();
    for (String p : v.get("--proxies").split(",")) {
      String name = p.strip().toLowerCase(Locale.ROOT);
      if (!List.of("wsgate", "nginx", "haproxy").contains(name)) {
        throw new IllegalArgumentException("--proxies: wsgate, nginx, haproxy; not " + p);
      }
      proxies.add(name);
    }
    CompareOptions o = new CompareOptions(i(v, "--connections"), i(v, "--window"), i(v, "--size"),
        i(v, "--rounds"), i(v, "--seconds"), i(v, "--warmup"), i(v, "--settle"), i(v, "--idle"),
        i(v, "--idle-per-process"), i(v, "--idle-rate"), i(v, "--hold"), proxies, v.get("--nginx"), v.get("--haproxy"),
        i(v, "--workers"), i(v, "--upstream-threads"));
    if (o.connections < 1 || o.window < 1 || o.size < 8 || o.rounds < 1 || o.seconds < 1 || o.idle < 0
        || o.idlePerProcess < 1 || o.idleRate < 10 || o.holdSeconds < 0 || o.workers < 1 || o.upstreamThreads < 1) {
      throw new IllegalArgumentException("need --connections, --window, --rounds, --seconds, --workers >= 1,"
          + " --size >= 8, --idle >= 0, --hold >= 0, --idle-rate >= 10: " + o);
    }
    return o;
  }

  private static int i(Map<String, String> v, String key) {
    return Integer.parseInt(v.get(key));
  }

  String describe() {
    return String.format(Locale.ROOT, "%d connections, each %d messages of %d B in flight; %d rounds of %d s per"
        + " path after %d s of warm-up each; %d idle sessions per proxy, held %d s; nginx %d workers, HAProxy %d threads,"
        + " wsgate one event loop per core", connections, window, size, rounds, seconds, warmupSeconds, idle,
        holdSeconds, workers, workers);
  }
}
