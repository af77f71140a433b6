package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.config.RateLimit;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A started session on embedded channels, for benches outside this package ({@code dev.wsgate.bench.LimitsCost}):
 * frames in on the client leg, out on the upstream leg, time moved by hand, the client leg's limits as given.
 */
public final class EmbeddedRelay implements AutoCloseable {

  /** One counter for every relay's pauses, as a route's sessions share one. */
  private static final io.micrometer.core.instrument.Counter PAUSES = new SimpleMeterRegistry().counter("pauses");

  private final EmbeddedSession fixture;
  private final EmbeddedChannel client;
  private final EmbeddedChannel upstream;

  private EmbeddedRelay(int maxMessageSize, RateLimit clientRate) {
    LegSetup plain = ProxySessionTest.noHeartbeat(Leg.CLIENT);
    LegSetup clientSetup = new LegSetup(plain.heartbeat(), null, maxMessageSize, clientRate,
        clientRate.on() ? PAUSES : null);
    fixture = new EmbeddedSession(clientSetup, ProxySessionTest.noHeartbeat(Leg.UPSTREAM), SessionLimits.NONE,
        Duration.ofSeconds(5));
    client = fixture.client;
    upstream = fixture.upstream;
    fixture.connect();
    fixture.start();
  }

  /** A session whose client leg has {@code maxMessageSize} (0: none) and {@code clientRate}. */
  public static EmbeddedRelay start(int maxMessageSize, RateLimit clientRate) {
    return new EmbeddedRelay(maxMessageSize, clientRate);
  }

  /** One read batch from the client: the frames, then the batch's end. */
  public void clientSends(WebSocketFrame... frames) {
    client.writeInbound((Object[]) frames);
  }

  /** Releases what reached the upstream; returns how many frames. */
  public int drainUpstream() {
    int n = 0;
    for (Object o; (o = upstream.readOutbound()) != null; n++) {
      ReferenceCountUtil.release(o);
    }
    return n;
  }

  /** Moves the session's clock and runs its timers. */
  public void advance(long nanos) {
    client.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
    client.runScheduledPendingTasks();
  }

  /** True while the client leg is read. */
  public boolean clientReading() {
    return client.config().isAutoRead();
  }

  /**
   * Nanoseconds per frame of a rate limit's accounting alone ({@code LegRate.admit}, and its batch's end every 16
   * frames), buckets never empty, on a frozen clock moved by hand: the clock read of each batch is not in it.
   */
  public static double rateAccountingNanos(RateLimit limit, int frames) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    LegSetup setup = new LegSetup(ProxySessionTest.noHeartbeat(Leg.CLIENT).heartbeat(), null, 0, limit, PAUSES);
    LegRate rate = LegRate.of(setup, null, new LegEnd(Leg.CLIENT, ch), ch.eventLoop());
    io.netty.handler.codec.http.websocketx.TextWebSocketFrame frame =
        new io.netty.handler.codec.http.websocketx.TextWebSocketFrame(io.netty.buffer.Unpooled.wrappedBuffer(
            new byte[64]));
    long start = System.nanoTime();
    for (int i = 0; i < frames; i++) {
      if (!rate.admit(frame)) {
        throw new IllegalStateException("a bucket emptied: not what this loop measures");
      }
      if ((i & 15) == 15) {
        rate.endBatch();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
      }
    }
    double ns = (System.nanoTime() - start) / (double) frames;
    frame.release();
    ch.finishAndReleaseAll();
    return ns;
  }

  @Override
  public void close() {
    fixture.close();
  }
}
