package dev.wsgate.config;

import java.util.Objects;

/**
 * The messages of a text-mode heartbeat ({@code heartbeat.text}).
 *
 * @param ping the text message wsgate sends as a ping
 * @param pong the text message that counts as the answer; a JSON object template matches any JSON object that has
 *             all of its fields with the same values, any other template matches only itself
 */
public record TextHeartbeat(String ping, String pong) {

  /** {@code {"type":"ping"}}, the manual heartbeat of the seed documents. */
  public static final String DEFAULT_PING = "{\"type\":\"ping\"}";
  /** {@code {"type":"pong"}}, its answer. */
  public static final String DEFAULT_PONG = "{\"type\":\"pong\"}";

  public TextHeartbeat {
    Objects.requireNonNull(ping, "ping");
    Objects.requireNonNull(pong, "pong");
  }

  public static TextHeartbeat defaults() {
    return new TextHeartbeat(DEFAULT_PING, DEFAULT_PONG);
  }
}
