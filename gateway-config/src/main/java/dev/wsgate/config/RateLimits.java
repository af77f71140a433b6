package dev.wsgate.config;

import java.util.Objects;

/**
 * A route's rate limits ({@code routes[i].rate-limit}), one per sending peer.
 *
 * @param client   what the client sends toward the upstream
 * @param upstream what the upstream sends toward the client
 */
public record RateLimits(RateLimit client, RateLimit upstream) {

  public static final RateLimits NONE = new RateLimits(RateLimit.NONE, RateLimit.NONE);

  public RateLimits {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(upstream, "upstream");
  }

  /** The limit of what {@code sender}'s peer sends. */
  public RateLimit of(Leg sender) {
    return sender == Leg.CLIENT ? client : upstream;
  }
}
