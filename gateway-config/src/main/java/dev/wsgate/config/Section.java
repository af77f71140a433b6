package dev.wsgate.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A mapping of the configuration file ({@code server}, {@code routes[i]}, a heartbeat leg...): its keys in the
 * order they are documented, the mappings nested in it that have sections of their own, and how its bound keys
 * make its record.
 *
 * @param <R> the record the section binds to
 */
final class Section<R> {

  /**
   * A mapping inside this one that is a section of its own, such as a route's {@code heartbeat}.
   *
   * @param name       its key
   * @param section    its section
   * @param list       true when the key holds a list of such mappings ({@code routes})
   * @param get        its bound value in this section's record
   * @param defaultDoc its default as the README's table gives it, or null when the table has no row for it
   * @param doc        its row's meaning
   */
  record Nested(String name, Section<?> section, boolean list, Function<Object, Object> get, String defaultDoc,
      String doc) {

    /** A nested section without a row of its own in the parent's table. */
    @SuppressWarnings("unchecked")
    static <R> Nested of(String name, Section<?> section, Function<R, ?> get) {
      return new Nested(name, section, false, (Function<Object, Object>) get, null, null);
    }

    /** The same, holding a list of mappings. */
    Nested asList() {
      return new Nested(name, section, true, get, defaultDoc, doc);
    }

    /** The same, with a row in the parent's table. */
    Nested documented(String defaultText, String meaning) {
      return new Nested(name, section, list, get, defaultText, meaning);
    }
  }

  private final String name;
  private final List<Object> entries;
  private final Map<String, String> together;
  private final Function<Bound<R>, R> build;

  private Section(String name, List<Object> entries, Map<String, String> together, Function<Bound<R>, R> build) {
    this.name = name;
    this.entries = List.copyOf(entries);
    this.together = Map.copyOf(together);
    this.build = build;
  }

  /**
   * A section.
   *
   * @param name    what the README calls it ({@code server}, {@code routes}); its table follows a heading of that name
   * @param entries its {@link Key}s and {@link Nested} mappings, in the order of the docs
   * @param build   its record from the bound keys; called only when every required key has a value
   */
  static <R> Section<R> of(String name, List<?> entries, Function<Bound<R>, R> build) {
    return new Section<>(name, new ArrayList<>(entries), Map.of(), build);
  }

  /** This section, in which the dotted keys of {@code group} are all written when any is: {@code tls}. */
  Section<R> together(String group, String expected) {
    Map<String, String> t = new LinkedHashMap<>(together);
    t.put(group, expected);
    return new Section<>(name, entries, t, build);
  }

  String name() {
    return name;
  }

  /** The keys and nested sections, in order. */
  List<Object> entries() {
    return entries;
  }

  @SuppressWarnings("unchecked")
  List<Key<R, ?>> keys() {
    List<Key<R, ?>> out = new ArrayList<>();
    for (Object e : entries) {
      if (e instanceof Key<?, ?> k) {
        out.add((Key<R, ?>) k);
      }
    }
    return out;
  }

  /** The names this section's own mapping may hold, in order. */
  List<String> heads() {
    List<String> out = new ArrayList<>();
    for (Object e : entries) {
      String head = e instanceof Key<?, ?> k ? k.head() : ((Nested) e).name();
      if (!out.contains(head)) {
        out.add(head);
      }
    }
    return out;
  }

  /** The tails of the dotted keys of {@code group}, in order. */
  List<String> group(String group) {
    List<String> out = new ArrayList<>();
    for (Key<R, ?> k : keys()) {
      if (!k.head().equals(k.name()) && k.head().equals(group)) {
        out.add(k.tail());
      }
    }
    return out;
  }

  /**
   * Reads the section at {@code at}: every key written there, each error reported. Null {@code at} (the file does
   * not have the section) reads as every default.
   */
  Bound<R> read(At at, Values values) {
    Bound<R> bound = new Bound<>(at);
    if (at == null) {
      return bound;
    }
    Problems problems = values.problems();
    YamlMapping m = YamlMapping.read(at, heads(), problems);
    Map<String, YamlMapping> groups = new LinkedHashMap<>();
    for (Object e : entries) {
      if (e instanceof Nested n) {
        if (m.has(n.name())) {
          bound.nested(n.name(), m.get(n.name()));
        }
        continue;
      }
      @SuppressWarnings("unchecked")
      Key<R, Object> key = (Key<R, Object>) e;
      YamlMapping holder = m;
      if (!key.head().equals(key.name())) {
        if (!m.has(key.head())) {
          continue;
        }
        holder = groups.computeIfAbsent(key.head(), g -> {
          At groupAt = m.get(g);
          if (!groupAt.isNull()) {
            bound.group(g);
          }
          return YamlMapping.read(groupAt, group(g), problems);
        });
      }
      if (holder.has(key.tail())) {
        At valueAt = holder.get(key.tail());
        bound.put(key, valueAt, key.type().read(valueAt, values));
      } else if (key.isRequired()) {
        problems.add(at, "missing " + key.name() + " (expected: " + key.missing() + ")");
      }
    }
    together.forEach((g, expected) -> {
      if (bound.hasGroup(g)) {
        for (String tail : group(g)) {
          if (!groups.get(g).has(tail)) {
            problems.add(m.get(g), "missing " + tail + " (expected: " + expected + ")");
          }
        }
      }
    });
    return bound;
  }

  /** The record of bound keys, or null when a required key has no value (its error is reported). */
  R build(Bound<R> bound) {
    for (Key<R, ?> k : keys()) {
      if (k.isRequired() && bound.get(k) == null) {
        return null;
      }
    }
    return build.apply(bound);
  }

  /** The record of a section the file does not have: every default. */
  R defaults() {
    return build(new Bound<>(null));
  }
}
