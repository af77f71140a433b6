package dev.wsgate.server;

import dev.wsgate.heartbeat.HeartbeatHandler;
import dev.wsgate.session.ConnectionLimit;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streams of one HTTP/2 client connection, and the places of {@code server.max-connections} it holds: one while
 * it has no stream (as an HTTP/1.1 connection waiting for its request holds one), one a stream while it has any.
 * Its first stream takes over the place the connection took at accept, each further stream takes one more, and when
 * its last stream ends the connection takes one back, when one is free: so a connection with {@code n} streams holds
 * {@code n} places, not {@code n + 1}. A connection without streams is closed ({@code GOAWAY}, then the close) after
 * {@code server.handshake-timeout}, as an HTTP/1.1 connection that does not send its request is.
 *
 * <p>After the multiplex handler on the connection: no stream's frame passes it. Only
 * the connection's event loop (its streams' too) touches it.
 */
final class Http2Streams extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(Http2Streams.class);

  private final ConnectionLimit limit;
  private final long idleNanos;
  private final Set<Http2StreamChannel> open = new LinkedHashSet<>();
  private ChannelHandlerContext ctx;
  /** The connection's place while it has no stream; null while its streams hold the places, or none was free. */
  private ConnectionLimit.Permit idlePlace;
  private ScheduledFuture<?> idleTimer;
  private boolean closed;

  /**
   * @param place       the place the connection took at accept (null: none was free then)
   * @param idleTimeout how long the connection may stay without a stream once it has had one
   */
  Http2Streams(ConnectionLimit limit, ConnectionLimit.Permit place, Duration idleTimeout) {
    this.limit = limit;
    this.idlePlace = place;
    this.idleNanos = idleTimeout.toNanos();
  }

  /** The streams of the HTTP/2 connection {@code connection}. */
  static Http2Streams of(io.netty.channel.Channel connection) {
    Http2Streams streams = connection.pipeline().get(Http2Streams.class);
    if (streams == null) {
      throw new IllegalStateException("not an HTTP/2 client connection: " + connection);
    }
    return streams;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /**
   * A new stream: its place is the connection's idle one when the connection holds it, else a new one.
   *
   * @return the stream's place, which its session's lifecycle then owns; null when none is free (it gets 503)
   */
  ConnectionLimit.Permit opened(Http2StreamChannel stream) {
    open.add(stream);
    stream.closeFuture().addListener(f -> closed(stream));
    cancelIdleTimer();
    ConnectionLimit.Permit place = idlePlace;
    idlePlace = null;
    return place != null ? place : limit.tryAcquire();
  }

  /**
   * The connection is dead (it did not answer a PING within the timeout): every stream's client leg is evicted as
   * its own heartbeat would evict it (counted, its upstream told 1001, the access log's {@code client-heartbeat}); a
   * stream still in its handshake is closed (its upstream, when there is one, gets 1001). The caller closes the
   * connection right after.
   */
  void evictAll(long silenceNanos) {
    for (Http2StreamChannel stream : new ArrayList<>(open)) {
      HeartbeatHandler heartbeat = stream.pipeline().get(HeartbeatHandler.class);
      if (heartbeat == null || !heartbeat.evictForCarrier(silenceNanos)) {
        stream.close();
      }
    }
  }

  private void closed(Http2StreamChannel stream) {
    if (!open.remove(stream) || !open.isEmpty() || closed || !ctx.channel().isActive()) {
      return;
    }
    // None may be free at the limit, the last stream's session still holding its own until its upstream has closed:
    // then the connection goes without one, for the idle timeout at most.
    idlePlace = limit.tryAcquire();
    idleTimer = ctx.executor().schedule(() -> {
      if (open.isEmpty() && ctx.channel().isActive()) {
        log.debug("[{}] HTTP/2 connection without streams for the handshake timeout: closing",
            ctx.channel().id().asShortText());
        ctx.channel().close();
      }
    }, idleNanos, TimeUnit.NANOSECONDS);
  }

  private void cancelIdleTimer() {
    if (idleTimer != null) {
      idleTimer.cancel(false);
      idleTimer = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    release();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    release();
  }

  /** The connection is gone: its idle place, if it holds one, is released, and no timer stays. */
  private void release() {
    closed = true;
    cancelIdleTimer();
    if (idlePlace != null) {
      idlePlace.release();
      idlePlace = null;
    }
  }
}
