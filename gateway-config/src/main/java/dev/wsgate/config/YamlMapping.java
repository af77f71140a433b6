package dev.wsgate.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        String hint = Suggestions.closest(name, knownKeys)
            .map(s -> "did you mean " + s + "?")
            .orElse("expected one of: " + String.join(", ", knownKeys));
        problems.add(keyAt, "unknown key (" + hint + ")");
        continue;
      }
      entries.put(name, at.child(name, tuple.getValueNode()));
    }
    return new YamlMapping(at, entries);
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
