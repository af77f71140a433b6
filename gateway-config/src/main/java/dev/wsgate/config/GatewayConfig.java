package dev.wsgate.config;

import java.util.List;
import java.util.Objects;

/**
 * The whole, validated configuration of one wsgate process: what one YAML file means once every default is applied.
 *
 * <p>Instances come from {@link ConfigLoader} and are immutable: every list and map inside is unmodifiable.
 *
 * @param server         the client-facing listener and its limits
 * @param upstream       how upstreams are connected to
 * @param heartbeat      the heartbeat defaults of every route, per leg (routes may override them)
 * @param intermediaries what sits between wsgate and its peers, and so bounds how long a leg may stay silent
 * @param routes         the routes, in the order of the file; matching is by longest path prefix, not by order
 * @param shutdown       how wsgate stops
 * @param logging        how wsgate logs
 */
public record GatewayConfig(
    ServerConfig server,
    UpstreamConfig upstream,
    Heartbeats heartbeat,
    IntermediariesConfig intermediaries,
    List<RouteConfig> routes,
    ShutdownConfig shutdown,
    LoggingConfig logging) {

  public GatewayConfig {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(intermediaries, "intermediaries");
    routes = List.copyOf(routes);
    Objects.requireNonNull(shutdown, "shutdown");
    Objects.requireNonNull(logging, "logging");
  }
}
