package dev.wsgate.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the effective configuration, every default applied, as YAML that loads back to the same
 * {@link GatewayConfig}: every key of the {@link Schema} in its order, typed as users write it (durations and sizes
 * with units, booleans as booleans); comments state what the heartbeat of each leg does against the idle timeout.
 */
public final class ConfigSummary {

  private ConfigSummary() {
  }

  public static String render(GatewayConfig c) {
    StringBuilder out = new StringBuilder("# wsgate effective configuration: every default applied\n");
    section(out, 0, Schema.ROOT, c, c.intermediaries());
    return out.toString();
  }

  private static <R> void section(StringBuilder out, int depth, Section<R> section, R record,
      IntermediariesConfig im) {
    Set<String> groupsDone = new HashSet<>();
    for (Object entry : section.entries()) {
      if (entry instanceof Section.Nested n) {
        nested(out, depth, n, n.get().apply(record), im);
        continue;
      }
      @SuppressWarnings("unchecked")
      Key<R, Object> key = (Key<R, Object>) entry;
      if (key.head().equals(key.name())) {
        key(out, depth, key.name(), key, record);
      } else if (groupsDone.add(key.head())) {
        group(out, depth, section, key.head(), record);
      }
    }
  }

  /** The dotted keys of one nested mapping ({@code tls.cert}, {@code tls.key}), or one comment when all are absent. */
  private static <R> void group(StringBuilder out, int depth, Section<R> section, String group, R record) {
    List<Key<R, ?>> keys = section.keys().stream().filter(k -> k.head().equals(group) && !k.name().equals(group))
        .toList();
    if (keys.stream().allMatch(k -> write(k, record) == null)) {
      @SuppressWarnings("unchecked")
      Key<R, Object> first = (Key<R, Object>) keys.get(0);
      indent(out, depth).append("# ").append(group).append(": ").append(noneNote(first, record)).append('\n');
      return;
    }
    indent(out, depth).append(group).append(":\n");
    for (Key<R, ?> k : keys) {
      @SuppressWarnings("unchecked")
      Key<R, Object> key = (Key<R, Object>) k;
      key(out, depth + 1, key.tail(), key, record);
    }
  }

  private static <R> void key(StringBuilder out, int depth, String name, Key<R, Object> key, R record) {
    Object value = key.get(record);
    Object written = key.type().write(value);
    String note = key.note(value);
    if (written == null) {
      indent(out, depth).append("# ").append(name).append(": ").append(noneNote(key, record)).append('\n');
    } else if (written instanceof List<?> list && !list.isEmpty()) {
      indent(out, depth).append(name).append(':').append(comment(note)).append('\n');
      list.forEach(item -> indent(out, depth + 1).append("- ").append(item).append('\n'));
    } else if (written instanceof Map<?, ?> map && !map.isEmpty()) {
      indent(out, depth).append(name).append(':').append(comment(note)).append('\n');
      map.forEach((k, v) -> indent(out, depth + 1).append(k).append(": ").append(v).append('\n'));
    } else {
      indent(out, depth).append(name).append(": ").append(Type.flow(written)).append(comment(note)).append('\n');
    }
  }

  private static void nested(StringBuilder out, int depth, Section.Nested n, Object value, IntermediariesConfig im) {
    indent(out, depth).append(n.name()).append(":\n");
    if (value instanceof Heartbeats h) {
      for (Leg leg : Leg.values()) {
        HeartbeatSettings s = h.of(leg);
        indent(out, depth + 1).append(leg.yamlName()).append(":  # ").append(explain(s, im)).append('\n');
        section(out, depth + 2, Schema.HEARTBEAT_LEG, s, im);
      }
    } else if (value instanceof Compressions c) {
      for (Leg leg : Leg.values()) {
        indent(out, depth + 1).append(leg.yamlName()).append(":\n");
        section(out, depth + 2, Schema.COMPRESSION_LEG, c.of(leg), im);
      }
    } else if (n.list()) {
      for (Object item : (List<?>) value) {
        StringBuilder element = new StringBuilder();
        section(element, depth + 2, cast(n.section()), item, im);
        out.append("  ".repeat(depth + 1)).append("- ").append(element, 2 * (depth + 2), element.length());
      }
    } else {
      section(out, depth + 1, cast(n.section()), value, im);
    }
  }

  /** One sentence on what a leg's heartbeat does, and how far it stays from the idle timeout. */
  static String explain(HeartbeatSettings s, IntermediariesConfig im) {
    if (!s.enabled()) {
      return "off: no pings, no eviction";
    }
    String what = "ping after " + Durations.format(s.interval()) + " of silence, "
        + (s.evicts() ? "evict after " + Durations.format(s.timeout()) : "never evict");
    if (!im.present()) {
      return what;
    }
    Duration room = im.idleTimeout().minus(HeartbeatBudget.deadline(s));
    return what + "; " + Durations.format(room) + " inside the " + Durations.format(im.idleTimeout())
        + " idle timeout";
  }

  private static <R> Object write(Key<R, ?> key, R record) {
    @SuppressWarnings("unchecked")
    Key<R, Object> k = (Key<R, Object>) key;
    return k.type().write(k.get(record));
  }

  private static <R> String noneNote(Key<R, Object> key, R record) {
    String note = key.note(key.get(record));
    return note != null ? note : "none";
  }

  private static String comment(String note) {
    return note == null ? "" : "  # " + note;
  }

  @SuppressWarnings("unchecked")
  private static Section<Object> cast(Section<?> section) {
    return (Section<Object>) section;
  }

  private static StringBuilder indent(StringBuilder out, int depth) {
    return out.append("  ".repeat(depth));
  }
}
