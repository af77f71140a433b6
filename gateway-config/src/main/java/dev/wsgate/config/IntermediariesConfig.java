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

  /** 60 s: nginx {@code proxy_read_timeout} and the AWS Application Load Balancer, the most common in the path. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  public IntermediariesConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
  }

  public static IntermediariesConfig defaults() {
    return new IntermediariesConfig(DEFAULT_IDLE_TIMEOUT);
  }

  /** False when {@code idle-timeout} is 0: nothing in the path cuts quiet connections. */
  public boolean present() {
    return !idleTimeout.isZero();
  }
}
