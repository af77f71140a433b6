package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsgate.config.Transport;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Which transport {@code server.transport} gets, and the one line when it cannot be had (without Netty's say). */
class TransportLoopsTest {

  private static final Throwable NO_URING = new IllegalStateException("failed to load the required native library",
      new UnsatisfiedLinkError("io_uring_setup: Operation not permitted"));

  private static final Function<Transport, Throwable> ONLY_EPOLL_AND_NIO = t -> t == Transport.IO_URING ? NO_URING
      : null;

  @Test
  void anExplicitTransportThatCannotLoadFailsInOneLineWithNettysReason() {
    assertThatThrownBy(() -> TransportLoops.resolve(Transport.IO_URING, ONLY_EPOLL_AND_NIO))
        .isInstanceOf(GatewayStartException.class)
        .hasMessage("server.transport: io_uring cannot load here: failed to load the required native library "
            + "(io_uring_setup: Operation not permitted)")
        .hasCause(NO_URING);
  }

  @Test
  void anExplicitTransportThatLoadsIsTaken() {
    assertThat(TransportLoops.resolve(Transport.EPOLL, ONLY_EPOLL_AND_NIO)).isEqualTo(Transport.EPOLL);
    assertThat(TransportLoops.resolve(Transport.NIO, t -> t == Transport.NIO ? null : NO_URING))
        .isEqualTo(Transport.NIO);
  }

  @Test
  void autoTakesTheFirstOfItsOrderThatLoads() {
    assertThat(TransportLoops.AUTO_ORDER).containsExactly(Transport.EPOLL, Transport.IO_URING, Transport.NIO);
    assertThat(TransportLoops.resolve(Transport.AUTO, t -> null)).isEqualTo(Transport.EPOLL);
    assertThat(TransportLoops.resolve(Transport.AUTO, t -> t == Transport.EPOLL ? NO_URING : null))
        .isEqualTo(Transport.IO_URING);
    assertThat(TransportLoops.resolve(Transport.AUTO, t -> t == Transport.NIO ? null : NO_URING))
        .isEqualTo(Transport.NIO);
  }

  @Test
  void nettysReasonIsOneLine() {
    assertThat(TransportLoops.describe(new UnsatisfiedLinkError("could not load\n  libnetty_transport_native")))
        .isEqualTo("could not load libnetty_transport_native");
    assertThat(TransportLoops.describe(new IllegalStateException("same", new RuntimeException("same"))))
        .isEqualTo("same");
  }
}
