package dev.wsgate.config;

import java.util.Objects;

/**
 * permessage-deflate on both legs of a route: each leg negotiates it on its own.
 *
 * @param client   the leg between the client and wsgate
 * @param upstream the leg between wsgate and the upstream
 */
public record Compressions(CompressionSettings client, CompressionSettings upstream) {
  public Compressions {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(upstream, "upstream");
  }

  public static Compressions defaults() {
    return new Compressions(CompressionSettings.defaults(), CompressionSettings.defaults());
  }

  /** The settings of one leg. */
  public CompressionSettings of(Leg leg) {
    return leg == Leg.CLIENT ? client : upstream;
  }
}
