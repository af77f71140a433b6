package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Which upstream hosts are connected by address, without a resolver. */
class UpstreamConnectorTest {

  @Test
  void addressesNeedNoResolver() {
    InetSocketAddress v4 = UpstreamConnector.literalAddress("10.1.2.3", 8080);
    assertThat(v4.isUnresolved()).isFalse();
    assertThat(v4.getAddress().getHostAddress()).isEqualTo("10.1.2.3");
    assertThat(v4.getPort()).isEqualTo(8080);
    InetSocketAddress v6 = UpstreamConnector.literalAddress("[::1]", 443);
    assertThat(v6.getAddress().isLoopbackAddress()).isTrue();
    assertThat(v6.getPort()).isEqualTo(443);
  }

  @Test
  void namesAreResolved() {
    assertThat(UpstreamConnector.literalAddress("localhost", 80)).isNull();
    assertThat(UpstreamConnector.literalAddress("echo.default.svc.cluster.local", 80)).isNull();
    assertThat(UpstreamConnector.literalAddress("10.1.2", 80)).as("not a whole address").isNull();
  }
}
