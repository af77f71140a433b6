package dev.wsgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How wsgate connects to upstreams ({@code upstream:}), for every route.
 *
 * @param connectTimeout  the most a TCP connect plus WebSocket handshake with an upstream may take; past it the
 *                        client gets 504
 * @param caFile          PEM certificates trusted for {@code wss://} upstreams; empty means the system trust store
 * @param failureBackoff  how long an upstream instance that failed to connect is passed over when another one is
 *                        available (passive health); {@code 0} never passes one over
 */
public record UpstreamConfig(Duration connectTimeout, Optional<Path> caFile, Duration failureBackoff) {

  public UpstreamConfig {
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(failureBackoff, "failureBackoff");
  }

  public static UpstreamConfig defaults() {
    return Schema.UPSTREAM.defaults();
  }
}
