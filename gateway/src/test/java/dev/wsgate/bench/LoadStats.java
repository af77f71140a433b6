package dev.wsgate.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The figures of several load processes of one kind at one moment, summed. */
final class LoadStats {

  private final List<Map<String, String>> each;

  private LoadStats(List<Map<String, String>> each) {
    this.each = each;
  }

  static LoadStats of(List<LoadProcess> processes) throws IOException, InterruptedException {
    List<Map<String, String>> each = new ArrayList<>();
    for (LoadProcess p : processes) {
      each.add(p.stats());
    }
    return new LoadStats(each);
  }

  long sum(String key) {
    long n = 0;
    for (Map<String, String> m : each) {
      String v = m.get(key);
      n += v == null || v.isEmpty() ? 0 : Long.parseLong(v);
    }
    return n;
  }

  Map<String, Long> tally(String key) {
    Map<String, Long> t = new TreeMap<>();
    for (Map<String, String> m : each) {
      StatsLine.parseTally(m.get(key)).forEach((k, n) -> t.merge(k, n, Long::sum));
    }
    return t;
  }

  LatencyHistogram histogram(String key) {
    LatencyHistogram h = new LatencyHistogram();
    for (Map<String, String> m : each) {
      h.add(LatencyHistogram.decode(m.get(key)));
    }
    return h;
  }
}
