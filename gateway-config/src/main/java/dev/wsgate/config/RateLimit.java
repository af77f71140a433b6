package dev.wsgate.config;

import java.util.Objects;

/**
 * The rate limit of what one peer of a route's sessions sends ({@code routes[i].rate-limit.client} or
 * {@code .upstream}): two token buckets per session, one of messages, one of bytes, each off when its rate is 0.
 *
 * @param messagesPerSecond messages (a first frame of a text or binary message) per second; 0: no message limit
 * @param burstMessages     the message bucket's size (at least 1 with a rate); 0 without a rate
 * @param bytesPerSecond    data frame payload bytes per second; 0: no byte limit
 * @param burstBytes        the byte bucket's size (at least {@code server.max-frame-size} with a rate); 0 without
 * @param action            what happens past the limit
 */
public record RateLimit(int messagesPerSecond, int burstMessages, int bytesPerSecond, int burstBytes,
    RateAction action) {

  public static final RateLimit NONE = new RateLimit(0, 0, 0, 0, RateAction.DELAY);

  public RateLimit {
    Objects.requireNonNull(action, "action");
  }

  /** True when either bucket is on. */
  public boolean on() {
    return messagesPerSecond != 0 || bytesPerSecond != 0;
  }
}
