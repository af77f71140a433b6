package dev.wsgate.bench;

import dev.wsgate.config.RateAction;
import dev.wsgate.config.RateLimit;
import dev.wsgate.proxy.EmbeddedRelay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a route's limits cost a session (issue 13): nanoseconds per relayed frame with no limit, with
 * {@code max-message-size}, and with a rate limit of messages and bytes that never pauses (the accounting alone), on
 * one session of embedded channels (the relay and session code, no sockets); and the bytes a session's limits hold,
 * from the heap histogram of this JVM with sessions open with and without them. It prints figures; it asserts
 * nothing.
 *
 * <pre>
 * mvn -q -pl gateway-config,gateway test-compile
 * mvn -o -q -pl gateway dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test
 * java -cp gateway/target/test-classes:gateway/target/classes:gateway-config/target/classes:$(cat gateway/cp.txt) \
 *     dev.wsgate.bench.LimitsCost [frames a round] [rounds] [sessions]
 * </pre>
 * A micro loop, not JMH: the figures compare the three lines with each other on one machine; on a busy machine
 * compare the best rounds.
 */
public final class LimitsCost {

  private static final int BATCH = 16;
  private static final RateLimit HIGH_RATE = new RateLimit(1_000_000, 1_000_000, 1 << 30, 1 << 30,
      RateAction.DELAY);

  public static void main(String[] args) throws Exception {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
    int sessions = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    System.setProperty("io.netty.leakDetection.level", "disabled");
    ByteBuf payload = Unpooled.directBuffer(64).writeZero(64);
    String[] names = {"no limit", "max-message-size 1MiB", "rate limit (messages and bytes, never pausing)"};
    // The three in turn, round after round, so that the machine's load and the JIT touch them alike; the best and
    // the median round of each are printed.
    double[][] ns = new double[3][rounds];
    for (int round = -2; round < rounds; round++) {
      for (int config = 0; config < 3; config++) {
        double n = nsPerFrame(config, frames, payload);
        if (round >= 0) {
          ns[config][round] = n;
        }
      }
    }
    for (int config = 0; config < 3; config++) {
      java.util.Arrays.sort(ns[config]);
      System.out.printf(Locale.ROOT, "%-48s best %6.1f ns/frame (%+.1f), median %6.1f (%+.1f)%n", names[config],
          ns[config][0], ns[config][0] - ns[0][0], ns[config][rounds / 2], ns[config][rounds / 2] - ns[0][rounds / 2]);
    }
    double[] accounting = new double[rounds];
    for (int round = -2; round < rounds; round++) {
      double n = EmbeddedRelay.rateAccountingNanos(HIGH_RATE, frames * 10);
      if (round >= 0) {
        accounting[round] = n;
      }
    }
    java.util.Arrays.sort(accounting);
    System.out.printf(Locale.ROOT, "%-48s best %6.1f ns/frame, median %6.1f%n", "rate limit accounting alone",
        accounting[0], accounting[rounds / 2]);
    bytesPerSession(sessions);
  }

  private static EmbeddedRelay relay(int config) {
    return switch (config) {
      case 0 -> EmbeddedRelay.start(0, RateLimit.NONE);
      case 1 -> EmbeddedRelay.start(1 << 20, RateLimit.NONE);
      default -> EmbeddedRelay.start(0, HIGH_RATE);
    };
  }

  /** Frames of 64 bytes, a message of two frames (a text frame and a continuation), 16 a read batch. */
  private static double nsPerFrame(int config, int frames, ByteBuf payload) {
    try (EmbeddedRelay r = relay(config)) {
      WebSocketFrame[] batch = new WebSocketFrame[BATCH];
      long start = System.nanoTime();
      for (int sent = 0; sent < frames; sent += BATCH) {
        for (int i = 0; i < BATCH; i += 2) {
          batch[i] = new TextWebSocketFrame(false, 0, payload.retainedDuplicate());
          batch[i + 1] = new ContinuationWebSocketFrame(true, 0, payload.retainedDuplicate());
        }
        r.clientSends(batch);
        r.advance(1_000_000); // a millisecond a batch: the buckets refill far faster than they empty
        if (r.drainUpstream() != BATCH || !r.clientReading()) {
          throw new IllegalStateException("the relay held frames back: not what this loop measures");
        }
      }
      return (System.nanoTime() - start) / (double) frames;
    }
  }

  /** Heap bytes a session holds with limits on both legs' senders, against one without. */
  private static void bytesPerSession(int n) throws Exception {
    long pid = ProcessHandle.current().pid();
    List<EmbeddedRelay> kept = new ArrayList<>();
    HeapHistogram before = HeapHistogram.of(pid);
    for (int i = 0; i < n; i++) {
      kept.add(EmbeddedRelay.start(0, RateLimit.NONE));
    }
    HeapHistogram plain = HeapHistogram.of(pid);
    for (int i = 0; i < n; i++) {
      kept.add(EmbeddedRelay.start(1 << 20, HIGH_RATE));
    }
    HeapHistogram limited = HeapHistogram.of(pid);
    double plainBytes = (plain.totalBytes() - before.totalBytes()) / (double) n;
    double limitedBytes = (limited.totalBytes() - plain.totalBytes()) / (double) n;
    System.out.printf(Locale.ROOT, "heap per session (embedded channels included): %.0f B without limits, %.0f B with "
        + "max-message-size and a client rate limit (%+.0f B)%n", plainBytes, limitedBytes, limitedBytes - plainBytes);
    for (String c : new String[] {"dev.wsgate.proxy.LegRate", "dev.wsgate.proxy.FrameRelayHandler",
        "dev.wsgate.proxy.FrameRelayHandler$Sized", "dev.wsgate.proxy.LegEnd", "dev.wsgate.session.AddressLimit$Slot"}) {
      long[] row = limited.row(c);
      System.out.printf(Locale.ROOT, "  %s: %d instances, %d B each%n", c, row[0], row[0] == 0 ? 0 : row[1] / row[0]);
    }
    kept.forEach(EmbeddedRelay::close);
  }
}
