package dev.wsgate.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names and label names a PromQL expression uses, read with regular expressions, enough for the
 * expressions of {@code deploy/}: selectors {@code name{label="v"}}, grouping {@code by (a, b)},
 * {@code without}, {@code on}, {@code ignoring}, {@code group_left}/{@code group_right}, functions, operators,
 * range and offset durations, Grafana's {@code $__rate_interval}-style variables.
 */
public final class PromQl {

  /** A selector's metric and the label names its matchers use. */
  public record Selector(String metric, Set<String> labels) {
  }

  /** What one expression uses. */
  public record Uses(List<Selector> selectors, Set<String> groupingLabels) {
  }

  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
      "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{[^}]*\\}|\\$[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern DURATION_OR_NUMBER = Pattern.compile("\\d[\\w.]*");

  private PromQl() {
  }

  public static Uses uses(String expr) {
    // Label values and Grafana variables first: nothing inside them is a name.
    String e = STRING.matcher(expr).replaceAll("\"\"");
    e = VARIABLE.matcher(e).replaceAll("1");
    Set<String> grouping = new LinkedHashSet<>();
    Matcher g = GROUPING.matcher(e);
    while (g.find()) {
      for (String label : g.group(2).split(",")) {
        if (!label.isBlank()) {
          grouping.add(label.strip());
        }
      }
    }
    e = GROUPING.matcher(e).replaceAll(" ");
    e = RANGE.matcher(e).replaceAll(" ");
    e = DURATION_OR_NUMBER.matcher(e).replaceAll(" ");
    List<Selector> selectors = new ArrayList<>();
    Matcher m = IDENT.matcher(e);
    int from = 0;
    while (m.find(from)) {
      String name = m.group();
      int after = m.end();
      while (after < e.length() && Character.isWhitespace(e.charAt(after))) {
        after++;
      }
      from = m.end();
      if (after < e.length() && e.charAt(after) == '(') {
        continue; // a function or aggregation
      }
      if (KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        continue;
      }
      Set<String> labels = new LinkedHashSet<>();
      if (after < e.length() && e.charAt(after) == '{') {
        int close = e.indexOf('}', after);
        Matcher lm = MATCHER.matcher(e.substring(after + 1, close));
        while (lm.find()) {
          labels.add(lm.group(1));
        }
        from = close + 1;
      }
      selectors.add(new Selector(name, labels));
    }
    return new Uses(selectors, grouping);
  }

  /**
   * What an expression uses that {@code live} does not export, one line each; empty when everything is there.
   * Label names in grouping clauses must be on one of the expression's metrics, or be a target label
   * ({@code job}, {@code instance}) or {@code le} on a histogram's buckets.
   */
  public static List<String> missing(String expr, LiveMetrics live) {
    Uses uses = uses(expr);
    List<String> out = new ArrayList<>();
    Set<String> all = new LinkedHashSet<>(LiveMetrics.TARGET_LABELS);
    if (uses.selectors().isEmpty()) {
      out.add("no metric at all in: " + expr);
    }
    for (Selector s : uses.selectors()) {
      if (!live.has(s.metric())) {
        out.add("metric " + s.metric() + " is not exported");
        continue;
      }
      all.addAll(live.labelsOf(s.metric()));
      for (String label : s.labels()) {
        if (!label.equals("__name__") && !LiveMetrics.TARGET_LABELS.contains(label)
            && !live.labelsOf(s.metric()).contains(label)) {
          out.add("metric " + s.metric() + " has no label " + label + " (it has " + live.labelsOf(s.metric())
              + ")");
        }
      }
    }
    for (String label : uses.groupingLabels()) {
      if (!all.contains(label)) {
        out.add("label " + label + " is on none of the expression's metrics");
      }
    }
    return out;
  }
}
