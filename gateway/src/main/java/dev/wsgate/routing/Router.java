package dev.wsgate.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Chooses the route of a request: the longest path prefix that matches on a segment boundary among the routes whose
 * host matches; on equal prefixes an exact host beats a wildcard host, which beats a route for any host.
 */
public final class Router {

  private final List<Route> ordered;

  public Router(List<Route> routes) {
    List<Route> copy = new ArrayList<>(routes);
    copy.sort(Comparator.comparingInt((Route r) -> r.config().path().length()).reversed()
        .thenComparing(Comparator.comparingInt(Route::hostSpecificity).reversed()));
    this.ordered = List.copyOf(copy);
  }

  /**
   * The route for a request.
   *
   * @param hostHeader the {@code Host} header as sent (port and case do not matter), or null
   * @param path       the raw request path, without query
   */
  public Optional<Route> route(String hostHeader, String path) {
    String host = Route.normalizeHost(hostHeader);
    for (Route r : ordered) {
      if (r.matchesPath(path) && r.matchesHost(host)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** The routes, most specific first. */
  public List<Route> routes() {
    return ordered;
  }
}
