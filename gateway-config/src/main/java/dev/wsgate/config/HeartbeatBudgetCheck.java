package dev.wsgate.config;

import java.time.Duration;

/**
 * The {@linkplain HeartbeatBudget heartbeat budget} of one effective leg: interval below timeout, and the deadline
 * with its margin under the intermediaries' idle timeout. Each error is reported at the value that caused it (the
 * most specific place that set it); the same value inherited by several routes is reported once.
 */
final class HeartbeatBudgetCheck {
  private HeartbeatBudgetCheck() {
  }

  /**
   * @param leg    the leg's keys, layered from the defaults up to the most specific place
   * @param idleAt where an error caused by a built-in default is reported: the idle timeout, written or not
   */
  static void check(Bound<HeartbeatSettings> leg, IntermediariesConfig intermediaries, At idleAt,
      Problems problems) {
    Bound.Located<Duration> interval = leg.located(Schema.INTERVAL);
    Bound.Located<Duration> timeout = leg.located(Schema.TIMEOUT);
    if (interval.value() == null || timeout.value() == null) {
      return; // already reported where it was written
    }
    boolean enabled = !interval.value().isZero();
    boolean evicts = enabled && !timeout.value().isZero();
    if (evicts && interval.value().compareTo(timeout.value()) >= 0) {
      Bound.Located<Duration> blame = moreSpecific(interval, timeout);
      String suggestion = Durations.format(interval.value().multipliedBy(3).dividedBy(2));
      report(problems, blame, idleAt, "interval " + Durations.format(interval.value()) + " >= timeout "
          + Durations.format(timeout.value()) + " (expected: interval < timeout; about 1.5 x interval, "
          + suggestion + ", is usual)");
      return;
    }
    if (!intermediaries.present()) {
      return;
    }
    Duration idle = intermediaries.idleTimeout();
    Duration margin = HeartbeatBudget.margin(idle);
    Duration limit = HeartbeatBudget.limit(idle);
    String idleText = "intermediaries.idle-timeout " + Durations.format(idle);
    if (!enabled) {
      report(problems, interval, idleAt, "interval 0 turns the heartbeat off, but " + idleText + " would cut a quiet "
          + "session (expected: an interval above 0 with a timeout <= " + Durations.format(limit) + " (or, with "
          + "timeout 0, an interval <= " + Durations.format(limit) + "), or intermediaries.idle-timeout: 0 when "
          + "nothing in the path cuts idle connections)");
      return;
    }
    Bound.Located<Duration> deadline = evicts ? timeout : interval;
    String name = evicts ? "timeout" : "interval";
    if (deadline.value().plus(margin).compareTo(idle) > 0) {
      if (deadline.isDefault()) {
        problems.add(idleAt, Durations.format(idle) + " is shorter than the default heartbeat " + name + " "
            + Durations.format(deadline.value()) + " + margin " + Durations.format(margin) + " (expected: "
            + "heartbeat." + name + " <= " + Durations.format(limit) + ", or idle-timeout >= "
            + Durations.format(deadline.value().plus(HeartbeatBudget.MAX_MARGIN)) + ")");
      } else {
        report(problems, deadline, idleAt, name + " " + Durations.format(deadline.value()) + " + margin "
            + Durations.format(margin) + " > " + idleText + " (expected: " + name + " <= "
            + Durations.format(limit) + ")");
      }
    }
  }

  private static void report(Problems problems, Bound.Located<Duration> value, At idleAt, String message) {
    if (value.isDefault()) {
      // Only a default in conflict with the idle timeout gets here; blame the idle timeout the user wrote.
      problems.add(idleAt, message);
    } else {
      At at = value.at();
      problems.add(at.line(), at.column(), value.scope(), message);
    }
  }

  private static <T> Bound.Located<T> moreSpecific(Bound.Located<T> a, Bound.Located<T> b) {
    if (a.isDefault()) {
      return b;
    }
    if (b.isDefault()) {
      return a;
    }
    return b.scope().length() >= a.scope().length() ? b : a;
  }
}
