package dev.wsgate.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** Walking loaded YAML (maps, lists, scalars) by key, with failures that name the path that was missing. */
public final class Yamls {

  private Yamls() {
  }

  /** A mapping in a YAML document, and where it is ({@code deployment.yaml: spec.template.spec}). */
  public record Node(Map<String, Object> map, String path) {

    public static Node of(Map<String, Object> map, String path) {
      return new Node(map, path);
    }

    public boolean has(String key) {
      return map.containsKey(key);
    }

    /** The mapping at {@code keys}, one level per key. */
    public Node at(String... keys) {
      Node n = this;
      for (String key : keys) {
        Object v = n.get(key);
        if (!(v instanceof Map)) {
          throw new AssertionError(n.path + "." + key + ": expected a mapping, found " + v);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        n = new Node(m, n.path + "." + key);
      }
      return n;
    }

    public Optional<Node> optional(String key) {
      return has(key) ? Optional.of(at(key)) : Optional.empty();
    }

    public Object get(String key) {
      if (!map.containsKey(key)) {
        throw new AssertionError(path + ": no key " + key + " (keys: " + map.keySet() + ")");
      }
      return map.get(key);
    }

    public String string(String key) {
      Object v = get(key);
      if (!(v instanceof String s)) {
        throw new AssertionError(path + "." + key + ": expected a string, found " + v);
      }
      return s;
    }

    /** A scalar as text, whatever YAML made of it (string, number, boolean). */
    public String text(String key) {
      Object v = get(key);
      if (v instanceof Map || v instanceof List || v == null) {
        throw new AssertionError(path + "." + key + ": expected a scalar, found " + v);
      }
      return v.toString();
    }

    public long number(String key) {
      Object v = get(key);
      if (!(v instanceof Number n)) {
        throw new AssertionError(path + "." + key + ": expected a number, found " + v);
      }
      return n.longValue();
    }

    public boolean bool(String key) {
      Object v = get(key);
      if (!(v instanceof Boolean b)) {
        throw new AssertionError(path + "." + key + ": expected true or false, found " + v);
      }
      return b;
    }

    public List<Object> list(String key) {
      Object v = get(key);
      if (!(v instanceof List)) {
        throw new AssertionError(path + "." + key + ": expected a list, found " + v);
      }
      @SuppressWarnings("unchecked")
      List<Object> l = (List<Object>) v;
      return l;
    }

    /** The mappings of a list. */
    public List<Node> nodes(String key) {
      List<Node> nodes = new ArrayList<>();
      List<Object> l = list(key);
      for (int i = 0; i < l.size(); i++) {
        Object v = l.get(i);
        if (!(v instanceof Map)) {
          throw new AssertionError(path + "." + key + "[" + i + "]: expected a mapping, found " + v);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        nodes.add(new Node(m, path + "." + key + "[" + i + "]"));
      }
      return nodes;
    }

    /** The one mapping of a list that {@code matches}. */
    public Node only(String key, Predicate<Node> matches, String what) {
      List<Node> found = nodes(key).stream().filter(matches).toList();
      if (found.size() != 1) {
        throw new AssertionError(path + "." + key + ": expected one " + what + ", found " + found.size());
      }
      return found.get(0);
    }
  }
}
