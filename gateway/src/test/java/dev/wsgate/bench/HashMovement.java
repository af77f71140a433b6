package dev.wsgate.bench;

import dev.wsgate.config.Balance;
import dev.wsgate.routing.UpstreamPool;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many keys {@code balance: hash} moves: {@code --keys} keys ({@code user-0}, {@code user-1}...) over three
 * upstreams, then four (a fourth joins), then three with one in failure back-off. It prints each instance's share and
 * the keys that moved, and where to.
 *
 * <pre>
 * mvn -q -pl gateway test-compile exec:exec@hash-movement [-Dbench.args="--keys 1000000"]
 * </pre>
 */
public final class HashMovement {

  private HashMovement() {
  }

  public static void main(String[] args) {
    int keys = 100_000;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--keys") && i + 1 < args.length) {
        keys = Integer.parseInt(args[++i]);
      } else {
        throw new IllegalArgumentException("usage: HashMovement [--keys N]");
      }
    }
    List<URI> three = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      three.add(URI.create("ws://chat-" + n + ".internal:8000/ws"));
    }
    List<URI> four = new ArrayList<>(three);
    four.add(URI.create("ws://chat-4.internal:8000/ws"));

    URI[] before = assign(new UpstreamPool("/chat", three, Balance.HASH, Duration.ofSeconds(10)), keys);
    URI[] after = assign(new UpstreamPool("/chat", four, Balance.HASH, Duration.ofSeconds(10)), keys);
    System.out.printf(Locale.ROOT, "%,d keys over 3 instances: %s%n", keys, shares(before));
    System.out.printf(Locale.ROOT, "%,d keys over 4 instances: %s%n", keys, shares(after));
    report("a fourth instance joins three", before, after, keys);

    UpstreamPool failing = new UpstreamPool("/chat", three, Balance.HASH, Duration.ofSeconds(10));
    failing.failed(failing.instances().get(1), "bench");
    URI[] during = assign(failing, keys);
    report(three.get(1).getHost() + " in failure back-off", before, during, keys);
  }

  private static URI[] assign(UpstreamPool pool, int keys) {
    URI[] out = new URI[keys];
    for (int k = 0; k < keys; k++) {
      out[k] = pool.pick(null, "user-" + k).uri();
    }
    return out;
  }

  private static String shares(URI[] assigned) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (URI u : assigned) {
      counts.merge(u.getHost(), 1, Integer::sum);
    }
    StringBuilder b = new StringBuilder();
    counts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> b.append(String.format(Locale.ROOT,
        "%s %.2f%%  ", e.getKey(), 100.0 * e.getValue() / assigned.length)));
    return b.toString().strip();
  }

  private static void report(String what, URI[] before, URI[] after, int keys) {
    int moved = 0;
    Map<String, Integer> to = new LinkedHashMap<>();
    for (int k = 0; k < keys; k++) {
      if (!before[k].equals(after[k])) {
        moved++;
        to.merge(before[k].getHost() + " -> " + after[k].getHost(), 1, Integer::sum);
      }
    }
    System.out.printf(Locale.ROOT, "%s: %,d of %,d keys moved (%.2f%%)%n", what, moved, keys, 100.0 * moved / keys);
    to.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> System.out.printf(Locale.ROOT,
        "  %s: %,d%n", e.getKey(), e.getValue()));
  }
}
