package dev.wsgate.config;

import java.util.Objects;

/**
 * The messages of a text-mode heartbeat ({@code heartbeat.text}).
 *
 * @param ping the text message wsgate sends as a ping
 * @param pong the text message that counts as the answer; a JSON object template matches any JSON object that has
 *             all of its fields with the same values, any other template matches only itself
 * @param answerPings true to answer the peer's own text pings (messages matching {@code ping}) with {@code pong},
 *             the peer's other fields echoed ({@code {"type":"ping","timestamp":T}} gets
 *             {@code {"type":"pong","timestamp":T}}), instead of relaying them
 */
public record TextHeartbeat(String ping, String pong, boolean answerPings) {

  public TextHeartbeat {
    Objects.requireNonNull(ping, "ping");
    Objects.requireNonNull(pong, "pong");
  }

  public static TextHeartbeat defaults() {
    return HeartbeatSettings.defaults().text();
  }
}
