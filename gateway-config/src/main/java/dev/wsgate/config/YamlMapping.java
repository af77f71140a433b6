package dev.wsgate.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * A YAML mapping read against the keys it may hold. Reading it reports, all at once: a node that is not a mapping,
 * keys that are not plain words, duplicate keys, and unknown keys (with the nearest known key as a suggestion).
 */
final class YamlMapping {
  private final At self;
  private final Map<String, At> entries;

  private YamlMapping(At self, Map<String, At> entries) {
    this.self = self;
    this.entries = entries;
  }

  /** Reads {@code at} as a mapping; a missing or empty value ({@code key:}) reads as an empty mapping. */
  static YamlMapping read(At at, List<String> knownKeys, Problems problems) {
    Map<String, At> entries = new LinkedHashMap<>();
    if (at.isNull()) {
      return new YamlMapping(at, entries);
    }
    if (!(at.node() instanceof MappingNode)) {
      problems.add(at, at.describe() + " (expected: a mapping of " + String.join(", ", knownKeys) + ")");
      return new YamlMapping(at, entries);
    }
    Map<String, At> firstSeen = new LinkedHashMap<>();
    for (NodeTuple tuple : ((MappingNode) at.node()).getValue()) {
      if (!(tuple.getKeyNode() instanceof ScalarNode)) {
        At key = new At(tuple.getKeyNode(), at.path());
        problems.add(key, key.describe() + " as a key (expected: one of " + String.join(", ", knownKeys) + ")");
        continue;
      }
      String name = ((ScalarNode) tuple.getKeyNode()).getValue();
      At keyAt = at.child(name, tuple.getKeyNode());
      At first = firstSeen.putIfAbsent(name, keyAt);
      if (first != null) {
        problems.add(keyAt, "duplicate key (first at line " + first.line() + ")");
        continue;
      }
      if (!knownKeys.contains(name)) {
        problems.add(keyAt, "unknown key (" + hint(name, knownKeys) + ")");
        continue;
      }
      entries.put(name, at.child(name, tuple.getValueNode()));
    }
    return new YamlMapping(at, entries);
  }

  /**
   * What an unknown key may have been meant as: a known key it is a typo of; else the places where the schema
   * has it ({@code forward-pings is a key of routes[i]}); else the keys known here.
   */
  static String hint(String name, List<String> knownKeys) {
    Optional<String> typo = Suggestions.closest(name, knownKeys);
    if (typo.isPresent()) {
      return "did you mean " + typo.get() + "?";
    }
    List<String> places = Schema.placesOf(name);
    if (!places.isEmpty()) {
      // A place inside another listed place (heartbeat.client inside heartbeat) goes without saying.
      List<String> named = places.stream()
          .filter(p -> places.stream().noneMatch(q -> !q.isEmpty() && p.startsWith(q + ".")))
          .map(p -> p.isEmpty() ? "the top level" : p).toList();
      String where = named.size() <= 2 ? String.join(" and ", named)
          : String.join(", ", named.subList(0, 2)) + " and " + (named.size() - 2) + " more";
      return name + " is a key of " + where;
    }
    return "expected one of: " + String.join(", ", knownKeys);
  }

  /** The value of {@code key}, or null when the file does not set it. */
  At get(String key) {
    return entries.get(key);
  }

  boolean has(String key) {
    return entries.containsKey(key);
  }

  /** The mapping itself, to locate errors about it as a whole. */
  At self() {
    return self;
  }
}
