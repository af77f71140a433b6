package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.routing.UpstreamPool;
import dev.wsgate.session.AccessLog;
import dev.wsgate.session.AddressLimit;
import dev.wsgate.session.ConnectionLimit;
import dev.wsgate.session.SessionRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import java.net.URI;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of a session's lifecycle, from the accepted client connection to the finished session. Each thing
 * it takes is paired with its release in {@link #finish}, which runs once, whatever happened:
 * <ol>
 *   <li>the connection permit ({@code server.max-connections}), at accept; none when the limit is reached, and the
 *       request then gets 503;</li>
 *   <li>the slot of the client's address ({@code server.max-connections-per-address}), once the request is read
 *       and its address known, before anything goes upstream; none when the address is at its limit (429);</li>
 *   <li>the upstream leg and the claim on its instance, when the upstream handshake completes;</li>
 *   <li>the registry entry and the opened count, when the client's {@code 101} is out and the session starts.</li>
 * </ol>
 * It watches both connections close, not the session's protocol: {@link #finish} runs when the client connection
 * and the upstream connection (if any) are closed, on the client's event loop, and releases what was taken, counts
 * the end and writes the access-log line of a started session, and unregisters it last, so that a session gone from
 * the registry is all accounted. A failure at any step, before or after the upgrade, comes down to closing the
 * connections, which releases exactly what was taken.
 *
 * <p>An upstream leg that completes after the client has gone and everything was released (the client left during
 * the upstream handshake) is closed through its session (1001 to the upstream), and its claim released when it
 * closes.
 */
public final class SessionLifecycle implements ChannelFutureListener {

  private static final Logger log = LoggerFactory.getLogger(SessionLifecycle.class);
  private static final AttributeKey<SessionLifecycle> KEY = AttributeKey.valueOf("wsgate.lifecycle");

  private final Channel client;
  /** Null when none was free, or once {@linkplain #handOverPlace handed over}. Guarded by this. */
  private ConnectionLimit.Permit permit;
  private final SessionRegistry registry;
  private final GatewayMetrics metrics;

  // Guarded by this: changed from the client's event loop and, when the upstream leg arrives, from the upstream's.
  private boolean clientOpen = true;
  private boolean upstreamOpen;
  private ProxySession session;
  private UpstreamPool.Claim claim;
  private AddressLimit.Slot slot;
  private boolean registered;
  private boolean finished;

  private SessionLifecycle(Channel client, ConnectionLimit.Permit permit, SessionRegistry registry,
      GatewayMetrics metrics) {
    this.client = client;
    this.permit = permit;
    this.registry = registry;
    this.metrics = metrics;
  }


  /** The client leg's event loop: the session's, where its upstream leg is registered too. */
  io.netty.channel.EventLoop loop() {
    return client.eventLoop();
  }

  /**
   * A client connection was accepted: it takes a place of {@code server.max-connections} if one is free, and its
   * lifecycle ends when it closes. Call once per connection, at accept.
   */
  public static SessionLifecycle accept(Channel client, ConnectionLimit limit, SessionRegistry registry,
      GatewayMetrics metrics) {
    return accept(client, limit.tryAcquire(), registry, metrics);
  }

  /**
   * The same, for a client leg whose place was taken for it ({@code permit}, or null when none was free): an HTTP/2
   * stream, whose place its connection gives it. The lifecycle releases the permit as its own.
   */
  public static SessionLifecycle accept(Channel client, ConnectionLimit.Permit permit, SessionRegistry registry,
      GatewayMetrics metrics) {
    SessionLifecycle lifecycle = new SessionLifecycle(client, permit, registry, metrics);
    client.attr(KEY).set(lifecycle);
    client.closeFuture().addListener(lifecycle);
    return lifecycle;
  }

  /** The lifecycle of an accepted client connection. */
  public static SessionLifecycle of(Channel client) {
    SessionLifecycle lifecycle = client.attr(KEY).get();
    if (lifecycle == null) {
      throw new IllegalStateException("connection " + client + " has no lifecycle: it was not accepted by wsgate");
    }
    return lifecycle;
  }

  /**
   * The session started: nothing looks the lifecycle up by its connection any more (the handshake did), so the
   * connection no longer holds it as an attribute; its close listener keeps it.
   */
  void sessionStarted() {
    client.attr(KEY).getAndRemove();
  }

  /** True when the connection holds a place of {@code server.max-connections}. */
  public synchronized boolean admitted() {
    return permit != null;
  }

  /**
   * The connection turned out to be a carrier of client legs, not one (HTTP/2): its place goes to whoever takes
   * the carrier's places over, and this lifecycle no longer releases it.
   *
   * @return the place, or null when the connection held none
   */
  public synchronized ConnectionLimit.Permit handOverPlace() {
    ConnectionLimit.Permit p = permit;
    permit = null;
    return p;
  }

  /**
   * Takes a slot of the client's {@code address} for the connection, released with everything else when it closes.
   * Call once, on the connection's event loop, before anything goes upstream.
   *
   * @return false when the address holds every slot it may: the request gets 429
   */
  public boolean admitAddress(AddressLimit limit, String address) {
    AddressLimit.Slot taken = limit.tryAcquire(address);
    if (taken == null) {
      return false;
    }
    boolean late;
    synchronized (this) {
      late = finished || slot != null;
      if (!late) {
        slot = taken;
      }
    }
    if (late) {
      taken.release(); // closed meanwhile (or asked twice): nothing will release it later
    }
    return true;
  }

  /**
   * The upstream handshake completed: the session is made, and takes the upstream leg and its claim. Called by the
   * connector on the upstream's event loop, with the leg's pipeline set up.
   */
  ProxySession upstreamConnected(SessionPlan plan, URI instance, String subprotocol, Channel upstream,
      FrameRelayHandler relay, UpstreamPool.Claim claim) {
    return upstreamConnected(plan, instance, subprotocol, upstream, relay, claim, DeflateNegotiation.Decision.NONE);
  }

  /** The same, with what permessage-deflate each leg runs with. */
  ProxySession upstreamConnected(SessionPlan plan, URI instance, String subprotocol, Channel upstream,
      FrameRelayHandler relay, UpstreamPool.Claim claim, DeflateNegotiation.Decision deflate) {
    ProxySession s = new ProxySession(this, registry.nextId(), plan, instance, subprotocol, client, upstream, relay,
        deflate);
    boolean late;
    boolean clientGone;
    synchronized (this) {
      late = finished;
      clientGone = !clientOpen;
      if (!late) {
        session = s;
        this.claim = claim;
        upstreamOpen = true;
      }
    }
    if (late) {
      upstream.closeFuture().addListener(f -> claim.release());
    } else {
      upstream.closeFuture().addListener(this);
    }
    if (clientGone) {
      s.clientGoneBeforeStart();
    }
    return s;
  }

  /**
   * The client's {@code 101} is out: the session registers, sets up the client leg and starts relaying. On the
   * client's event loop.
   *
   * @return the session, or null when the client has left meanwhile (the session is ending then)
   */
  public ProxySession start() {
    ProxySession s;
    synchronized (this) {
      if (!clientOpen || finished || session == null) {
        return null;
      }
      s = session;
    }
    registry.add(s);
    synchronized (this) {
      registered = true;
    }
    s.start();
    metrics.sessionOpened(s.route());
    return s;
  }

  /** True once the session has started (registered). */
  public synchronized boolean started() {
    return registered;
  }

  /** A peer broke the protocol; the session has sent it {@code code}. Called at most once per session. */
  void protocolError(ProxySession s, Leg leg, int code, String reason) {
    metrics.protocolError(leg, code);
    if (leg == Leg.CLIENT) {
      log.info("{}: client sent bad input, closed with {}: {}", s, code, reason);
    } else {
      log.warn("{}: upstream {} sent bad input, closed with {}: {}", s, s.upstream(), code, reason);
    }
  }

  /**
   * A leg's connection closed: the lifecycle listens to both legs' close futures itself (no listener object a leg).
   */
  @Override
  public void operationComplete(ChannelFuture closed) {
    if (closed.channel() == client) {
      clientClosed();
    } else {
      upstreamClosed();
    }
  }

  private void clientClosed() {
    ProxySession s;
    boolean started;
    synchronized (this) {
      clientOpen = false;
      s = session;
      started = registered;
    }
    if (s != null && !started) {
      s.clientGoneBeforeStart();
    }
    finishWhenClosed();
  }

  private void upstreamClosed() {
    synchronized (this) {
      upstreamOpen = false;
    }
    finishWhenClosed();
  }

  private void finishWhenClosed() {
    synchronized (this) {
      if (finished || clientOpen || upstreamOpen) {
        return;
      }
      finished = true;
    }
    EventLoop loop = client.eventLoop();
    if (loop.inEventLoop()) {
      finish();
    } else {
      try {
        loop.execute(this::finish);
      } catch (RejectedExecutionException shuttingDown) {
        finish();
      }
    }
  }

  /** Releases what was taken, last taken first; each release runs even when one before it fails. */
  private void finish() {
    ProxySession s;
    UpstreamPool.Claim c;
    ConnectionLimit.Permit place;
    AddressLimit.Slot a;
    boolean started;
    synchronized (this) {
      s = session;
      c = claim;
      place = permit;
      a = slot;
      started = registered;
    }
    try {
      if (s != null) {
        s.connectionsClosed();
      }
    } finally {
      try {
        if (c != null) {
          c.release();
        }
      } finally {
        try {
          if (a != null) {
            a.release();
          }
        } finally {
          try {
            if (place != null) {
              place.release();
            }
          } finally {
            if (started) {
              unregister(s);
            }
          }
        }
      }
    }
  }

  /** Counts and logs a started session's end, then takes it out of the registry, whatever the first two do. */
  private void unregister(ProxySession s) {
    try {
      metrics.sessionEnded(s);
      AccessLog.log(s);
    } finally {
      registry.remove(s);
    }
  }
}
