package dev.wsgate.server;

import dev.wsgate.config.Transport;
import reactor.netty.resources.LoopResources;

/** Event loops on a transport of one's choice, for tests and benchmarks (Reactor Netty's own cannot be told). */
public final class TestLoops {

  private TestLoops() {
  }

  /**
   * One acceptor thread and {@code workers} worker threads named {@code prefix-<transport>-n}, on {@code transport}.
   *
   * @throws GatewayStartException when the transport does not load here
   */
  public static LoopResources on(String prefix, Transport transport, int workers) {
    return TransportLoops.create(prefix, transport, 1, workers);
  }

  /** Whether {@code transport} loads here. */
  public static boolean loads(Transport transport) {
    return TransportLoops.unavailabilityCause(transport) == null;
  }
}
