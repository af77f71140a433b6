package dev.wsgate.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which request headers a route sends upstream beyond the ones wsgate always forwards ({@code routes[].headers}).
 *
 * @param forward names of further client request headers to pass on, as written
 * @param add     headers to set on every upstream request, in file order
 */
public record HeaderRules(List<String> forward, Map<String, String> add) {
  public HeaderRules {
    forward = List.copyOf(forward);
    add = Collections.unmodifiableMap(new LinkedHashMap<>(add));
  }

  public static HeaderRules none() {
    return new HeaderRules(List.of(), Map.of());
  }
}
