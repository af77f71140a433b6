package dev.wsgate.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What sits in front of or behind wsgate ({@code intermediaries:}).
 *
 * @param idleTimeout the smallest idle timeout of any proxy, load balancer or NAT on either leg; {@code 0} when
 *                    there is none. Every leg's heartbeat must fit under it (see {@link HeartbeatBudget}).
 */
public record IntermediariesConfig(Duration idleTimeout) {

  public IntermediariesConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
  }

  public static IntermediariesConfig defaults() {
    return Schema.INTERMEDIARIES.defaults();
  }

  /** False when {@code idle-timeout} is 0: nothing in the path cuts quiet connections. */
  public boolean present() {
    return !idleTimeout.isZero();
  }
}
