package dev.wsgate.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap in use from {@code jcmd PID GC.heap_info}, whichever collector prints it: G1's one heap line, Serial's and
 * Parallel's generations (summed), Shenandoah's one line. Metaspace, printed after the heap, is not counted.
 */
final class HeapInfo {

  /** G1 ({@code garbage-first heap total 262144K, used 11878K}), Serial and Parallel (one line a generation). */
  private static final Pattern TOTAL_USED = Pattern.compile("total \\d+K, used (\\d+)K");
  /** Shenandoah ({@code 6028M max, 6028M soft max, 378M committed, 20480K used}). */
  private static final Pattern COMMITTED_USED = Pattern.compile("committed, (\\d+)K used");

  private HeapInfo() {
  }

  /** The heap's bytes in use; fails, naming the text, when it names none. */
  static long usedBytes(String heapInfo) {
    int metaspace = heapInfo.indexOf("Metaspace");
    String heap = metaspace < 0 ? heapInfo : heapInfo.substring(0, metaspace);
    long kib = 0;
    boolean found = false;
    for (Pattern p : new Pattern[] {TOTAL_USED, COMMITTED_USED}) {
      Matcher m = p.matcher(heap);
      while (m.find()) {
        kib += Long.parseLong(m.group(1));
        found = true;
      }
    }
    if (!found) {
      throw new IllegalStateException("no heap figure in jcmd GC.heap_info: " + heapInfo);
    }
    return kib * 1024;
  }
}
