package dev.wsgate.conformance;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Named cases, each in both directions: "1.1.3 text 126 bytes, client→upstream" and the same upstream→client. */
final class Cases {

  private Cases() {
  }

  /** The case both ways; the test method takes the {@link Direction} first, then {@code args}. */
  static Stream<Arguments> bothWays(String name, Object... args) {
    return Direction.both().map(d -> {
      Object[] all = new Object[args.length + 1];
      all[0] = d;
      System.arraycopy(args, 0, all, 1, args.length);
      return Arguments.argumentSet(name + ", " + d, all);
    });
  }
}
