package dev.wsgate.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live objects of a JVM by class, from {@code jcmd PID GC.class_histogram} (which runs a full GC first, so only
 * what is reachable counts). Two of them, before and after opening sessions, say what a session holds.
 */
final class HeapHistogram {
  private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(.+?)\\s*(\\(.*\\))?$");

  /** Instances and bytes per class name. */
  private final Map<String, long[]> rows;
  private final long totalBytes;

  private HeapHistogram(Map<String, long[]> rows, long totalBytes) {
    this.rows = rows;
    this.totalBytes = totalBytes;
  }

  static HeapHistogram of(long pid) throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder("jcmd", Long.toString(pid), "GC.class_histogram").redirectErrorStream(true)
        .start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!jcmd.waitFor(120, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
      throw new IOException("jcmd GC.class_histogram failed: " + out);
    }
    Map<String, long[]> rows = new HashMap<>();
    long total = 0;
    for (String line : out.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        long bytes = Long.parseLong(m.group(2));
        rows.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), bytes},
            (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        total += bytes;
      }
    }
    return new HeapHistogram(rows, total);
  }

  long totalBytes() {
    return totalBytes;
  }

  /** The classes that grew most from {@code before} to this, per one of {@code n} sessions: the top {@code limit}. */
  List<String> growthPer(HeapHistogram before, int n, int limit) {
    List<Map.Entry<String, long[]>> grown = new ArrayList<>();
    rows.forEach((name, r) -> {
      long[] b = before.rows.getOrDefault(name, new long[2]);
      grown.add(Map.entry(name, new long[] {r[0] - b[0], r[1] - b[1]}));
    });
    grown.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : grown.subList(0, Math.min(limit, grown.size()))) {
      out.add(String.format(Locale.ROOT, "%8.1f B %6.2f objects  %s", (double) e.getValue()[1] / n,
          (double) e.getValue()[0] / n, e.getKey()));
    }
    return out;
  }
}
