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
 * java -cp "$(cat gateway/target/classpath.txt 2>/dev/null)" ... dev.wsgate.bench.LimitsCost [frames] [sessions]
 * </pre>
 * (or {@code mvn -q -pl gateway exec:exec@limits-bench}). A micro loop, not JMH: the figures are for comparing the
 * three lines with each other on one machine, run to run within a few ns.
 */
public final class LimitsCost {

  private static final int BATCH = 16;
  private static final RateLimit HIGH_RATE = new RateLimit(1_000_000, 1_000_000, 1 << 30, 1 << 30,
      RateAction.DELAY);

  public static void main(String[] args) throws Exception {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 4_000_000;
    int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    System.setProperty("io.netty.leakDetection.level", "disabled");
    ByteBuf payload = Unpooled.directBuffer(64).writeZero(64);
    String[] names = {"no limit", "max-message-size 1MiB", "rate limit (messages and bytes, never pausing)"};
    for (int round = 0; round < 3; round++) {
      double base = 0;
      for (int config = 0; config < 3; config++) {
        double ns = nsPerFrame(config, frames, payload);
        if (config == 0) {
          base = ns;
        }
        if (round == 2) {
          System.out.printf(Locale.ROOT, "%-48s %6.1f ns/frame (%+.1f)%n", names[config], ns, ns - base);
        }
      }
    }
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
    long[] rate = limited.row("dev.wsgate.proxy.LegRate");
    System.out.printf(Locale.ROOT, "heap per session (embedded channels included): %.0f B without limits, %.0f B with "
        + "max-message-size and a client rate limit (%+.0f B); LegRate: %d instances, %d B each%n", plainBytes,
        limitedBytes, limitedBytes - plainBytes, rate[0], rate[0] == 0 ? 0 : rate[1] / rate[0]);
    kept.forEach(EmbeddedRelay::close);
  }
}
