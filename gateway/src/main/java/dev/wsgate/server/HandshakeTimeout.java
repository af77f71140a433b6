package dev.wsgate.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code server.handshake-timeout}: a connection that has not delivered a complete upgrade request within the
 * timeout is closed, so that slow clients (slowloris) cannot hold connections open. One timer per connection, on its
 * event loop, cancelled as soon as the request is complete.
 */
final class HandshakeTimeout {

  private static final Logger log = LoggerFactory.getLogger(HandshakeTimeout.class);
  private static final AttributeKey<ScheduledFuture<?>> TIMER = AttributeKey.valueOf("wsgate.handshakeTimer");

  private final Supplier<Duration> timeout;
  private final Runnable onTimeout;

  /** @param timeout read for each new connection, so that a reload applies to the next one */
  HandshakeTimeout(Supplier<Duration> timeout, Runnable onTimeout) {
    this.timeout = timeout;
    this.onTimeout = onTimeout;
  }

  void arm(Channel channel) {
    ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
      if (channel.isActive()) {
        log.debug("[{}] no complete upgrade request within the handshake timeout; closing", channel.id().asShortText());
        onTimeout.run();
        channel.close();
      }
    }, timeout.get().toNanos(), TimeUnit.NANOSECONDS);
    // Not cancelled when the connection closes first: the timer finds it inactive and does nothing. A close
    // listener would hold the timer for the whole life of a session.
    channel.attr(TIMER).set(timer);
  }

  static void disarm(Channel channel) {
    ScheduledFuture<?> timer = channel.attr(TIMER).getAndRemove(); // no attribute left on a held session
    if (timer != null) {
      timer.cancel(false);
    }
  }
}
