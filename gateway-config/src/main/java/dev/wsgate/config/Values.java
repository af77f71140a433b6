package dev.wsgate.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads typed values out of YAML nodes. Every method either returns the value, or records one error in the form
 * {@code value (expected: rule)} and returns null, so that reading goes on and every mistake is reported.
 */
final class Values {

  /** Which durations a key accepts. */
  enum DurationRule {
    /** {@code 0} (disabled) or more. */
    ZERO_OR_MORE("a duration such as 25s, or 0 to disable"),
    /** More than {@code 0}. */
    POSITIVE("a duration above 0, such as 5s");

    final String expected;

    DurationRule(String expected) {
      this.expected = expected;
    }
  }

  private static final String DURATION_UNITS = "units: ms, s, m, h";
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");

  private final Problems problems;
  private final Function<String, String> env;
  private final Path baseDir;

  /** Values of one file: errors go to {@code problems}; relative paths are resolved against {@code baseDir}. */
  Values(Problems problems, Function<String, String> env, Path baseDir) {
    this.problems = problems;
    this.env = env;
    this.baseDir = baseDir;
  }

  Problems problems() {
    return problems;
  }

  Path baseDir() {
    return baseDir;
  }

  /** The text of a single value, environment variables substituted. */
  String text(At at, String expected) {
    if (at.isNull()) {
      problems.add(at, "no value (expected: " + expected + ")");
      return null;
    }
    if (!(at.node() instanceof ScalarNode)) {
      String hint = at.node() instanceof MappingNode && expected.startsWith("a text")
          ? "; quote it when it is JSON: '{\"type\":\"ping\"}'" : "";
      problems.add(at, at.describe() + " (expected: " + expected + hint + ")");
      return null;
    }
    EnvSubstitution.Result r = EnvSubstitution.apply(((ScalarNode) at.node()).getValue(), env);
    if (r.error() != null) {
      problems.add(at, r.error());
      return null;
    }
    return r.value();
  }

  /** The elements of a list; a single value where a list is expected is an error, not a list of one. */
  List<At> list(At at, String expected) {
    List<At> out = new ArrayList<>();
    if (at.isNull()) {
      return out;
    }
    if (!(at.node() instanceof SequenceNode)) {
      problems.add(at, at.describe() + " (expected: a list of " + expected + ")");
      return out;
    }
    List<Node> nodes = ((SequenceNode) at.node()).getValue();
    for (int i = 0; i < nodes.size(); i++) {
      out.add(at.element(i, nodes.get(i)));
    }
    return out;
  }

  Duration duration(At at, DurationRule rule) {
    String t = text(at, rule.expected);
    if (t == null) {
      return null;
    }
    Optional<Duration> d = Durations.parse(t);
    if (d.isPresent()) {
      if (rule == DurationRule.POSITIVE && d.get().isZero()) {
        problems.add(at, t + " (expected: " + rule.expected + "; 0 is not allowed here)");
        return null;
      }
      return d.get();
    }
    if (Durations.isBareNumber(t) && !t.strip().startsWith("-")) {
      problems.add(at, t + " (expected: a duration with a unit, such as " + t.strip() + "s; " + DURATION_UNITS + ")");
    } else if (Durations.isNegative(t) || (Durations.isBareNumber(t) && t.strip().startsWith("-"))) {
      problems.add(at, t + " (expected: " + rule.expected + "; a duration cannot be negative)");
    } else {
      problems.add(at, t + " (expected: " + rule.expected + "; " + DURATION_UNITS + ")");
    }
    return null;
  }

  /** A whole number from {@code min} to {@code max}; {@code expected} says so in the words of the key. */
  Integer integer(At at, int min, int max, String expected) {
    String t = text(at, expected);
    if (t == null) {
      return null;
    }
    String s = t.strip().replace("_", "");
    if (INTEGER.matcher(s).matches()) {
      try {
        long v = Long.parseLong(s);
        if (v >= min && v <= max) {
          return (int) v;
        }
      } catch (NumberFormatException tooLong) {
        // out of range, reported below
      }
    }
    problems.add(at, t + " (expected: " + expected + ")");
    return null;
  }

  /** A size in bytes, between {@code min} and {@code max}. */
  Long size(At at, long min, long max) {
    String expected = "a size from " + bytes(min) + " to " + bytes(max)
        + ", such as 64KiB or 1MiB";
    String t = text(at, expected);
    if (t == null) {
      return null;
    }
    Optional<Long> bytes = DataSizes.parse(t);
    if (bytes.isPresent() && bytes.get() >= min && bytes.get() <= max) {
      return bytes.get();
    }
    if (DataSizes.hasAmbiguousUnit(t)) {
      problems.add(at, t + " (expected: " + expected + "; units: B, KiB, MiB, GiB, powers of 1024)");
    } else {
      problems.add(at, t + " (expected: " + expected + ")");
    }
    return null;
  }

  private static String bytes(long n) {
    String s = DataSizes.format(n);
    return s.chars().allMatch(Character::isDigit) ? s + " bytes" : s;
  }

  Boolean bool(At at) {
    String t = text(at, "true or false");
    if (t == null) {
      return null;
    }
    switch (t.strip()) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        problems.add(at, t + " (expected: true or false)");
        return null;
    }
  }

  /** One of the constants of an enum, by their YAML names, such as {@code round-robin}. */
  <E extends Enum<E> & YamlEnum> E choice(At at, E[] constants) {
    Map<String, E> choices = new java.util.LinkedHashMap<>();
    for (E e : constants) {
      choices.put(e.yamlName(), e);
    }
    return choice(at, choices);
  }

  /** One of a closed set of words. */
  <E> E choice(At at, Map<String, E> choices) {
    String expected = String.join(" or ", choices.keySet());
    String t = text(at, expected);
    if (t == null) {
      return null;
    }
    E e = choices.get(t.strip());
    if (e == null) {
      String hint = Suggestions.closest(t.strip(), choices.keySet()).map(s -> "; did you mean " + s + "?").orElse("");
      problems.add(at, t + " (expected: " + expected + hint + ")");
    }
    return e;
  }

  /** {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code :PORT}. */
  ListenAddress listenAddress(At at) {
    String expected = "HOST:PORT, [IPv6]:PORT or :PORT, with a port from 0 to 65535";
    String t = text(at, expected);
    if (t == null) {
      return null;
    }
    String s = t.strip();
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      String hint = INTEGER.matcher(s).matches() ? "; for every interface write :" + s : "";
      problems.add(at, t + " (expected: " + expected + hint + ")");
      return null;
    }
    String host = s.substring(0, colon);
    String portText = s.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
      if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
        problems.add(at, t + " (expected: " + expected + ")");
        return null;
      }
    } else if (host.isEmpty()) {
      host = ListenAddress.ANY_HOST;
    } else if (!HOST.matcher(host).matches()) {
      problems.add(at, t + " (expected: " + expected + (host.indexOf(':') >= 0 ? "; put IPv6 in brackets" : "") + ")");
      return null;
    }
    if (!portText.matches("\\d{1,5}") || Integer.parseInt(portText) > 65_535) {
      problems.add(at, t + " (expected: " + expected + ")");
      return null;
    }
    return new ListenAddress(host, Integer.parseInt(portText));
  }

  /** A {@code ws://} or {@code wss://} URI with a host, and without user info, query or fragment. */
  URI upstreamUri(At at) {
    String expected = "ws:// or wss://";
    String t = text(at, "a ws:// or wss:// URI");
    if (t == null) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(t.strip());
    } catch (URISyntaxException e) {
      problems.add(at, t + " (expected: a ws:// or wss:// URI; " + e.getReason() + " at index " + e.getIndex() + ")");
      return null;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("ws") && !scheme.equals("wss")) {
      String hint = scheme.equals("http") ? "; for http:// write ws://"
          : scheme.equals("https") ? "; for https:// write wss://" : "";
      problems.add(at, t + " (expected: " + expected + hint + ")");
      return null;
    }
    if (uri.getHost() == null) {
      problems.add(at, t + " (expected: a ws:// or wss:// URI with a host, such as ws://backend:8000)");
      return null;
    }
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      problems.add(at, t + " (expected: a ws:// or wss:// URI without user info, query or fragment; the client's "
          + "query is passed on)");
      return null;
    }
    return uri;
  }
}
