package dev.wsgate.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
  private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
  private static final long[] NONE = {0, 0};

  /** Instances and bytes per class name; several loaders' classes of one name are summed. */
  private final Map<String, long[]> rows;
  /** Instances and bytes in all. */
  private final long[] total;

  private HeapHistogram(Map<String, long[]> rows, long[] total) {
    this.rows = rows;
    this.total = total;
  }

  static HeapHistogram of(long pid) throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!jcmd.waitFor(120, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
      throw new IOException("jcmd GC.class_histogram failed: " + out);
    }
    Map<String, long[]> rows = new HashMap<>();
    long[] total = {0, 0};
    for (String line : out.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.find()) {
        long[] r = {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
        rows.merge(m.group(3), r, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        total[0] += r[0];
        total[1] += r[1];
      }
    }
    return new HeapHistogram(rows, total);
  }

  long totalBytes() {
    return total[1];
  }

  /** Instances and bytes of one class ({@code dev.wsgate.proxy.LegRate}); zeros when it has none. */
  long[] row(String className) {
    return rows.getOrDefault(className, NONE).clone();
  }

  /**
   * Prints what grew from {@code before} to this, per one of {@code n} sessions: the total, then the {@code shown}
   * classes that grew most and the rest in one line.
   */
  void printGrowth(HeapHistogram before, long n, int shown) {
    if (n <= 0) {
      return;
    }
    System.out.printf(Locale.ROOT, "  live objects (GC.class_histogram): %,d -> %,d bytes, %.0f bytes and %.1f"
        + " objects a session; largest growth a session:%n", before.total[1], total[1],
        (total[1] - before.total[1]) / (double) n, (total[0] - before.total[0]) / (double) n);
    List<Map.Entry<String, long[]>> growth = rows.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), new long[] {e.getValue()[0] - before.rows.getOrDefault(e.getKey(), NONE)[0],
            e.getValue()[1] - before.rows.getOrDefault(e.getKey(), NONE)[1]}))
        .filter(e -> e.getValue()[1] > 0)
        .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).toList();
    long[] listed = {0, 0};
    growth.stream().limit(shown).forEach(e -> {
      listed[0] += e.getValue()[0];
      listed[1] += e.getValue()[1];
      System.out.printf(Locale.ROOT, "    %8.0f B %6.2f x %s%n", e.getValue()[1] / (double) n,
          e.getValue()[0] / (double) n, e.getKey());
    });
    if (growth.size() > shown) {
      System.out.printf(Locale.ROOT, "    %8.0f B %6.2f x in %d other classes%n",
          (total[1] - before.total[1] - listed[1]) / (double) n, (total[0] - before.total[0] - listed[0]) / (double) n,
          growth.size() - shown);
    }
  }
}
