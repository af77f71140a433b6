package dev.wsgate.config;

import java.time.Duration;
import java.util.List;

/**
 * The heartbeat keys set at one place of the file ({@code heartbeat}, {@code heartbeat.client},
 * {@code routes[i].heartbeat}, ...), each remembered with where it was set, so that the effective setting of a leg
 * can be built by layering and a budget error can point at the line that caused it.
 */
record HeartbeatLayer(
    Located<Duration> interval,
    Located<Duration> timeout,
    Located<HeartbeatMode> mode,
    Located<String> textPing,
    Located<String> textPong,
    Located<Boolean> answerPings,
    Located<Integer> closeCode) {

  /**
   * A value and the node it was read from; the node is null for built-in defaults, the value is null when the
   * node could not be read (its error is already reported, and checks that need the value are skipped).
   */
  record Located<T>(T value, At at) {
    /** The YAML path of the mapping that set the value: {@code routes[0].heartbeat.client}. */
    String scope() {
      String path = at.path();
      int dot = path.lastIndexOf('.');
      String parent = dot < 0 ? "" : path.substring(0, dot);
      return parent.endsWith(".text") ? parent.substring(0, parent.length() - ".text".length()) : parent;
    }

    boolean isDefault() {
      return at == null;
    }
  }

  static final List<String> LEG_KEYS = List.of("interval", "timeout", "mode", "text", "close-code");
  static final List<String> SCOPE_KEYS = List.of("interval", "timeout", "mode", "text", "close-code", "client",
      "upstream");
  static final List<String> TEXT_KEYS = List.of("ping", "pong", "answer-pings");

  static final HeartbeatLayer EMPTY = new HeartbeatLayer(null, null, null, null, null, null, null);

  /** The built-in defaults, as a layer below every other. */
  static HeartbeatLayer defaults() {
    HeartbeatSettings d = HeartbeatSettings.defaults();
    return new HeartbeatLayer(new Located<>(d.interval(), null), new Located<>(d.timeout(), null),
        new Located<>(d.mode(), null), new Located<>(d.text().ping(), null), new Located<>(d.text().pong(), null),
        new Located<>(d.text().answerPings(), null), new Located<>(d.closeCode(), null));
  }

  /** Reads the leg keys of a mapping that has already been checked for unknown keys. */
  static HeartbeatLayer read(YamlMapping m, Values values) {
    Located<Duration> interval = null;
    Located<Duration> timeout = null;
    Located<HeartbeatMode> mode = null;
    Located<String> ping = null;
    Located<String> pong = null;
    Located<Boolean> answerPings = null;
    Located<Integer> closeCode = null;
    if (m.has("interval")) {
      interval = located(values.duration(m.get("interval"), Values.DurationRule.ZERO_OR_MORE), m.get("interval"));
    }
    if (m.has("timeout")) {
      timeout = located(values.duration(m.get("timeout"), Values.DurationRule.ZERO_OR_MORE), m.get("timeout"));
    }
    if (m.has("mode")) {
      mode = located(values.choice(m.get("mode"), HeartbeatMode.values()), m.get("mode"));
    }
    if (m.has("text")) {
      YamlMapping text = YamlMapping.read(m.get("text"), TEXT_KEYS, values.problems());
      if (text.has("ping")) {
        ping = located(nonEmptyText(text.get("ping"), values), text.get("ping"));
      }
      if (text.has("pong")) {
        pong = located(nonEmptyText(text.get("pong"), values), text.get("pong"));
      }
      if (text.has("answer-pings")) {
        answerPings = located(values.bool(text.get("answer-pings")), text.get("answer-pings"));
      }
    }
    if (m.has("close-code")) {
      closeCode = located(CloseCodeRule.read(m.get("close-code"), values), m.get("close-code"));
    }
    return new HeartbeatLayer(interval, timeout, mode, ping, pong, answerPings, closeCode);
  }

  /** This layer with every key that {@code over} sets replaced by its value. */
  HeartbeatLayer overriddenBy(HeartbeatLayer over) {
    return new HeartbeatLayer(
        over.interval != null ? over.interval : interval,
        over.timeout != null ? over.timeout : timeout,
        over.mode != null ? over.mode : mode,
        over.textPing != null ? over.textPing : textPing,
        over.textPong != null ? over.textPong : textPong,
        over.answerPings != null ? over.answerPings : answerPings,
        over.closeCode != null ? over.closeCode : closeCode);
  }

  /**
   * The settings of a fully layered leg (every key set, by a default at least). A value that could not be read
   * stands in as its default: the configuration is refused anyway, this only keeps binding going.
   */
  HeartbeatSettings settings() {
    HeartbeatSettings d = HeartbeatSettings.defaults();
    return new HeartbeatSettings(or(interval, d.interval()), or(timeout, d.timeout()), or(mode, d.mode()),
        new TextHeartbeat(or(textPing, d.text().ping()), or(textPong, d.text().pong()),
            or(answerPings, d.text().answerPings())),
        or(closeCode, d.closeCode()));
  }

  private static <T> T or(Located<T> located, T fallback) {
    return located.value() != null ? located.value() : fallback;
  }

  private static <T> Located<T> located(T value, At at) {
    // A value that failed to read still overrides the layers below (with null), so that no check blames them.
    return new Located<>(value, at);
  }

  private static String nonEmptyText(At at, Values values) {
    String t = values.text(at, "a text message, such as '{\"type\":\"ping\"}'");
    if (t != null && t.isEmpty()) {
      values.problems().add(at, "'' (expected: a text message that is not empty)");
      return null;
    }
    return t;
  }
}
