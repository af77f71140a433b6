package dev.wsgate.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The command line of a benchmark: {@code --name value} pairs over the defaults, each name one of theirs. */
final class BenchArgs {

  private BenchArgs() {}

  /**
   * The defaults with the values of {@code args} in place.
   *
   * @throws IllegalArgumentException for a name without a default, or without a value; its message lists the options
   */
  static Map<String, String> parse(String[] args, Map<String, String> defaults) {
    Map<String, String> v = new LinkedHashMap<>(defaults);
    for (int i = 0; i < args.length; i += 2) {
      if (!v.containsKey(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("bad option " + args[i] + "; options (with defaults): " + defaults);
      }
      v.put(args[i], args[i + 1]);
    }
    return v;
  }
}
