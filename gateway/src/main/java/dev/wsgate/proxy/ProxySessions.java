package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import java.time.Duration;
import reactor.netty.Connection;

/** Starts proxied sessions: the entry point of the proxy for the server. */
public final class ProxySessions {

  private ProxySessions() {
  }

  /**
   * Joins a freshly upgraded client connection and its upstream leg into a session and starts relaying. Call on the
   * client connection's event loop, right after its upgrade, before it reads anything.
   */
  public static void start(Session session, Connection client, LegSetup clientSetup, UpstreamLeg upstream,
      Duration closeTimeout, SessionLimits limits, SessionListener listener) {
    FrameRelayHandler clientRelay = ProxyPipeline.install(client.channel(), Leg.CLIENT, clientSetup);
    ProxySession proxy = new ProxySession(session, client.channel(), upstream.channel(), closeTimeout, limits,
        listener);
    proxy.start(clientRelay, upstream.relay());
  }
}
