package dev.wsgate.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The keys of one section as one place of the file set them: each value with the node it was read from, so that a
 * check across keys can report at the line that caused it. A key that is not written reads as its default; a key
 * whose value could not be read reads as null in {@link #located}, and as its default in {@link #get} (its error is
 * reported already; binding goes on only to find more errors).
 *
 * @param <R> the record the section binds to
 */
final class Bound<R> {
  private final At self;
  private final Map<Key<R, ?>, Object> values = new HashMap<>();
  private final Map<Key<R, ?>, At> written = new HashMap<>();
  private final Map<String, At> nested = new HashMap<>();
  private final Set<String> groups = new HashSet<>();
  private final Map<String, Object> attached = new HashMap<>();

  Bound(At self) {
    this.self = self;
  }

  /** The mapping itself, to report errors about it as a whole; null for a section the file does not have. */
  At self() {
    return self;
  }

  <T> void put(Key<R, T> key, At at, T value) {
    written.put(key, at);
    if (value != null) {
      values.put(key, value);
    }
  }

  void nested(String name, At at) {
    nested.put(name, at);
  }

  void group(String name) {
    groups.add(name);
  }

  /** Gives the record of a nested section, bound by the binder, to this section's {@link Section#build}. */
  void attach(String name, Object record) {
    attached.put(name, record);
  }

  /** The record of a nested section, as {@link #attach attached}. */
  @SuppressWarnings("unchecked")
  <V> V attached(String name) {
    return (V) attached.get(name);
  }

  /** The value: as written, else the default (also when the written value could not be read). */
  @SuppressWarnings("unchecked")
  <T> T get(Key<R, T> key) {
    Object v = values.get(key);
    return v != null ? (T) v : key.defaultValue();
  }

  /** The value and where it was written; the node is null for a default, the value null when unreadable. */
  @SuppressWarnings("unchecked")
  <T> Located<T> located(Key<R, T> key) {
    At at = written.get(key);
    return at == null ? new Located<>(key.defaultValue(), null) : new Located<>((T) values.get(key), at);
  }

  boolean isWritten(Key<R, ?> key) {
    return written.containsKey(key);
  }

  /** True when the key was written and its value could not be read. */
  boolean failed(Key<R, ?> key) {
    return written.containsKey(key) && !values.containsKey(key);
  }

  /** A nested section's node ({@code heartbeat} of a route, {@code client} of a heartbeat), or null. */
  At nested(String name) {
    return nested.get(name);
  }

  /** True when the nested mapping of dotted keys ({@code tls} for {@code tls.cert}) is written with a value. */
  boolean hasGroup(String name) {
    return groups.contains(name);
  }

  /** These keys, with every key that {@code over} writes taken from it instead. */
  Bound<R> overriddenBy(Bound<R> over) {
    Bound<R> out = new Bound<>(over.self != null ? over.self : self);
    out.values.putAll(values);
    out.written.putAll(written);
    for (Map.Entry<Key<R, ?>, At> e : over.written.entrySet()) {
      out.written.put(e.getKey(), e.getValue());
      out.values.remove(e.getKey());
      Object v = over.values.get(e.getKey());
      if (v != null) {
        out.values.put(e.getKey(), v);
      }
    }
    return out;
  }

  /**
   * A value and the node it was read from.
   *
   * @param value the value, null when it could not be read
   * @param at    the node, null for a built-in default
   */
  record Located<T>(T value, At at) {
    boolean isDefault() {
      return at == null;
    }

    /** The YAML path of the mapping that set the value: {@code routes[0].heartbeat.client}. */
    String scope() {
      String path = at.path();
      int dot = path.lastIndexOf('.');
      String parent = dot < 0 ? "" : path.substring(0, dot);
      return parent.endsWith(".text") ? parent.substring(0, parent.length() - ".text".length()) : parent;
    }
  }
}
