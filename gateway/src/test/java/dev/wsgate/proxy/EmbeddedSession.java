package dev.wsgate.proxy;

import dev.wsgate.config.Balance;
import dev.wsgate.config.Leg;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.ConnectionLimit;
import dev.wsgate.session.SessionRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * A session on two embedded channels, made as wsgate makes one: the client connection accepted (its lifecycle
 * taking a permit), the upstream leg connected and handed over with its claim, then the client upgraded and the
 * session started. Time stands still on both channels until a test moves it.
 */
final class EmbeddedSession implements AutoCloseable {

  static final URI UPSTREAM = URI.create("ws://up:1");

  final EmbeddedChannel client = new EmbeddedChannel();
  final EmbeddedChannel upstream = new EmbeddedChannel();
  final ConnectionLimit limit = new ConnectionLimit(10);
  final SessionRegistry registry = new SessionRegistry();
  final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
  final UpstreamPool pool = new UpstreamPool("/", List.of(UPSTREAM), Balance.ROUND_ROBIN, Duration.ZERO);
  final SessionLifecycle lifecycle;
  final FrameRelayHandler upstreamRelay;
  private final SessionPlan plan;
  ProxySession session;

  /** The client accepted and the upstream leg's pipeline set up; {@link #connect} and {@link #start} follow. */
  EmbeddedSession(LegSetup clientSetup, LegSetup upstreamSetup, SessionLimits limits, Duration closeTimeout) {
    client.freezeTime();
    upstream.freezeTime();
    lifecycle = SessionLifecycle.accept(client, limit, registry, metrics);
    upstreamRelay = ProxyPipeline.install(upstream, Leg.UPSTREAM, upstreamSetup);
    plan = new SessionPlan("req-1", "/", "127.0.0.1:1", limits, closeTimeout, clientSetup, upstreamSetup);
  }

  /** The upstream handshake completed: the session is made and takes the leg and a claim. */
  ProxySession connect() {
    session = lifecycle.upstreamConnected(plan, UPSTREAM, null, upstream, upstreamRelay, instance().claim());
    return session;
  }

  /** The client's 101 is out: the session starts. */
  ProxySession start() {
    if (session == null) {
      connect();
    }
    return lifecycle.start();
  }

  UpstreamPool.Instance instance() {
    return pool.instances().get(0);
  }

  /** Everything the session took is back: permit, claim, registry entry. */
  boolean released() {
    return limit.held() == 0 && instance().sessions() == 0 && registry.size() == 0;
  }

  /** Releases what the channels still hold. */
  @Override
  public void close() {
    for (EmbeddedChannel ch : new EmbeddedChannel[] {client, upstream}) {
      for (Object o; (o = ch.readOutbound()) != null; ) {
        ReferenceCountUtil.release(o);
      }
      ch.finishAndReleaseAll();
    }
  }
}
