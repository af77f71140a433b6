package dev.wsgate.config;

/**
 * A leg's rate limit can work: a burst has its rate, and the byte bucket holds the largest frame
 * ({@code server.max-frame-size}), since a frame is relayed whole. Rates of 0 and bursts below one message are
 * refused by their types.
 */
final class RateLimitCheck {
  private RateLimitCheck() {
  }

  static void check(Bound<RateLimit> leg, int maxFrameSize, Problems problems) {
    burstNeedsRate(leg, Schema.RATE_BURST_MESSAGES, Schema.RATE_MESSAGES, problems);
    burstNeedsRate(leg, Schema.RATE_BURST_BYTES, Schema.RATE_BYTES, problems);
    if (leg.get(Schema.RATE_ACTION) == RateAction.CLOSE && !leg.isWritten(Schema.RATE_MESSAGES)
        && !leg.isWritten(Schema.RATE_BYTES)) {
      problems.add(leg.located(Schema.RATE_ACTION).at(), leg.get(Schema.RATE_ACTION)
          + " (expected: with messages-per-second or bytes-per-second; there is no limit to act on)");
    }
    Bound.Located<Integer> rate = leg.located(Schema.RATE_BYTES);
    if (rate.at() == null || rate.value() == null) {
      return;
    }
    Bound.Located<Integer> burst = leg.located(Schema.RATE_BURST_BYTES);
    if (burst.at() != null) {
      if (burst.value() != null && burst.value() < maxFrameSize) {
        problems.add(burst.at(), DataSizes.format(burst.value()) + " (expected: at least server.max-frame-size "
            + DataSizes.format(maxFrameSize) + ": a frame is relayed whole, so the bucket must hold the largest)");
      }
    } else if (rate.value() < maxFrameSize) {
      problems.add(rate.at(), DataSizes.format(rate.value()) + " (expected: with burst-bytes left out, the burst is "
          + "one second's worth, which must hold the largest frame, server.max-frame-size "
          + DataSizes.format(maxFrameSize) + ": set burst-bytes to that or more, or lower server.max-frame-size)");
    }
  }

  private static void burstNeedsRate(Bound<RateLimit> leg, Key<RateLimit, Integer> burst,
      Key<RateLimit, Integer> rate, Problems problems) {
    if (leg.isWritten(burst) && !leg.isWritten(rate)) {
      Bound.Located<Integer> b = leg.located(burst);
      String value = b.value() == null ? "" : burst == Schema.RATE_BURST_BYTES ? DataSizes.format(b.value())
          : b.value().toString();
      problems.add(b.at(), value + " (expected: with " + rate.name() + "; a burst without a rate limits "
          + "nothing)");
    }
  }
}
