package dev.wsgate.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Each path and host is one route's. */
final class RoutesCheck {
  private RoutesCheck() {
  }

  static void check(List<Bound<RouteConfig>> routes, Problems problems) {
    Map<String, At> seen = new HashMap<>();
    for (Bound<RouteConfig> route : routes) {
      Bound.Located<String> path = route.located(Schema.PATH);
      if (path.value() == null || route.failed(Schema.HOST)) {
        continue;
      }
      Optional<String> host = route.get(Schema.HOST);
      At first = seen.putIfAbsent(host.orElse("") + " " + path.value(), route.self());
      if (first != null) {
        problems.add(path.at(), path.value() + " on " + host.map(h -> "host " + h).orElse("any host")
            + " (expected: each path and host once; " + first.path() + " has it already)");
      }
    }
  }
}
