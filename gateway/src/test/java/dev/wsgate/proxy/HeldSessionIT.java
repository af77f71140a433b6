package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.ProxyHeaders;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a held session keeps of its handshakes: nothing. Both legs hold wsgate's handlers and Netty's frame codec,
 * no HTTP codec, no Reactor Netty bridge or operations, no channel attributes (issue 10: a held session's memory). The heartbeat benchmark
 * prints what that is worth per session.
 */
class HeldSessionIT {

  /** Reactor Netty's attributes (and, with the PROXY protocol, its header's address) and wsgate's. */
  private static final List<String> ATTRIBUTES = List.of("$CONNECTION", "$CONTEXT_VIEW", "$PERSISTENT_CHANNEL",
      "remoteAddressFromProxyProtocol", "wsgate.lifecycle", "wsgate.handshakeTimer");

  @Test
  void bothLegsHoldOnlyTheFrameCodecAndWsgatesHandlers() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(upstream.uri())) {
      try (JdkWebSocket client = JdkWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port() + "/"), null)) {
        client.sendText("hello");
        assertThat(client.next()).isEqualTo("hello");
        ProxySession session = (ProxySession) gw.gateway().sessions().snapshot().get(0);
        List<String> wsgate = List.of(ProxyPipeline.HEARTBEAT, ProxyPipeline.RELAY);
        assertThat(handlers(session.channel(Leg.CLIENT))).as("client leg")
            .containsExactly(concat(List.of("wsencoder", "wsdecoder"), wsgate));
        assertThat(handlers(session.channel(Leg.UPSTREAM))).as("upstream leg")
            .containsExactly(concat(List.of("ws-encoder", "ws-decoder"), wsgate));
        for (Leg leg : Leg.values()) {
          assertThat(session.channel(leg).pipeline().get(WireFrameDecoder.class)).as("the %s leg's decoder", leg)
              .isNotNull().extracting(WireFrameDecoder::verbatim).as("relays verbatim").isEqualTo(true);
        }
        assertThat(session.channel(Leg.CLIENT).pipeline().get("wsencoder"))
            .as("the client legs' one encoder").isSameAs(ProxyPipeline.SharedFrameEncoder.PLAIN);
        assertThat(session.channel(Leg.UPSTREAM).pipeline().get("ws-encoder"))
            .as("the upstream legs' one (masking) encoder").isSameAs(ProxyPipeline.SharedFrameEncoder.MASKING);
        assertThat((Object) session.channel(Leg.CLIENT).config().getRecvByteBufAllocator())
            .as("one receive-buffer allocator for all connections")
            .isSameAs(session.channel(Leg.UPSTREAM).config().getRecvByteBufAllocator());
        assertThat(session.channel(Leg.CLIENT).config().getWriteBufferWaterMark())
            .as("one write-buffer mark for both legs")
            .isSameAs(session.channel(Leg.UPSTREAM).config().getWriteBufferWaterMark());
        for (Leg leg : Leg.values()) {
          for (String key : ATTRIBUTES) {
            assertThat(session.channel(leg).hasAttr(AttributeKey.valueOf(key)))
                .as("attribute %s on the %s leg (an attribute is an object per connection)", key, leg).isFalse();
          }
        }
      }
    }
  }

  @Test
  void aSessionThatCameWithAProxyProtocolHeaderKeepsNothingOfIt() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), ProxyHeaders.server("on"))) {
      byte[] header = ProxyHeaders.v2("127.0.0.5", 40001, "127.0.0.1", gw.port());
      try (RawWebSocket client = RawWebSocket.handshake(RawWebSocket.open(gw.address()), header, "/", Map.of())) {
        RawUpstream.Conn up = upstream.take();
        client.sendText("hello");
        assertThat(up.readData().text()).isEqualTo("hello");
        ProxySession session = (ProxySession) gw.gateway().sessions().snapshot().get(0);
        assertThat(session.clientAddress()).isEqualTo("127.0.0.5:40001");
        assertThat(handlers(session.channel(Leg.CLIENT))).as("client leg").containsExactly(concat(
            List.of("wsencoder", "wsdecoder"), List.of(ProxyPipeline.HEARTBEAT, ProxyPipeline.RELAY)));
        for (String key : ATTRIBUTES) {
          assertThat(session.channel(Leg.CLIENT).hasAttr(AttributeKey.valueOf(key)))
              .as("attribute %s on the client leg", key).isFalse();
        }
        WsEndpoint.closeCleanly(client, up);
      }
    }
  }

  /** The pipeline's handler names, without Netty's tail. */
  private static List<String> handlers(Channel channel) throws Exception {
    return channel.eventLoop().submit(() -> channel.pipeline().names().stream()
        .filter(n -> !n.startsWith("DefaultChannelPipeline$TailContext")).toList()).get();
  }

  private static String[] concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
  }
}
