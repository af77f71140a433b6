package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.WsFrame;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 2.x on a route with {@code forward-pings: true}: pings and pongs are relayed between the legs instead of
 * answered by wsgate, so the other peer answers, and its pong comes back (wsgate's own heartbeat aside). All cases
 * are wsgate's: Autobahn talks to an endpoint, not to a relay.
 */
@ExtendWith(NamedFailures.class)
class ForwardPingsConformanceIT {

  @RegisterExtension
  static final Rig rig = Rig.with("", "    forward-pings: true\n");

  static Stream<Arguments> pings() {
    return Stream.of(
        Cases.bothWays("2.1 (wsgate, forward-pings) ping without payload", new byte[0]),
        Cases.bothWays("2.3 (wsgate, forward-pings) ping with a small binary payload",
            Frames.hex("00 ff fe fd fc fb 00 ff")),
        Cases.bothWays("2.4 (wsgate, forward-pings) ping with a 125-byte binary payload", Frames.binary(125, 24)))
        .flatMap(s -> s);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("pings")
  void pingIsRelayedAndItsPongRelayedBack(Direction d, byte[] payload) throws Exception {
    try (Proxied s = rig.open()) {
      s.from(d).send(true, WsFrame.PING, payload);
      Next ping = Next.of(s.to(d));
      assertThat(ping.frame()).as("%s: the relayed ping, got %s", d, ping).isNotNull();
      Frames.assertFrame(ping.frame(), true, WsFrame.PING, payload, d + ": the relayed ping");
      // The answer carries a payload of its own, so that the pong the sender gets is told from one wsgate made.
      byte[] answer = Frames.concat(Frames.utf8("answer:"), payload).length <= 125
          ? Frames.concat(Frames.utf8("answer:"), payload) : Frames.binary(125, 99);
      s.to(d).send(true, WsFrame.PONG, answer);
      Next pong = Next.of(s.from(d));
      assertThat(pong.frame()).as("%s: the relayed pong, got %s", d, pong).isNotNull();
      Frames.assertFrame(pong.frame(), true, WsFrame.PONG, answer, d + ": the pong of the other peer");
      s.assertQuiet(d, d + ": one ping relayed, one pong relayed back, nothing answered by wsgate");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> tenPings() {
    return Cases.bothWays("2.10 (wsgate, forward-pings) 10 pings");
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("tenPings")
  void tenPingsAreRelayedInOrder(Direction d) throws Exception {
    try (Proxied s = rig.open()) {
      for (int i = 0; i < 10; i++) {
        s.from(d).send(true, WsFrame.PING, Frames.utf8("payload-" + i));
      }
      for (int i = 0; i < 10; i++) {
        Next ping = Next.of(s.to(d));
        assertThat(ping.frame()).as("%s: ping %d, got %s", d, i, ping).isNotNull();
        Frames.assertFrame(ping.frame(), true, WsFrame.PING, Frames.utf8("payload-" + i), d + ": ping " + i);
        s.to(d).send(true, WsFrame.PONG, ping.frame().payload());
      }
      for (int i = 0; i < 10; i++) {
        Next pong = Next.of(s.from(d));
        assertThat(pong.frame()).as("%s: pong %d, got %s", d, i, pong).isNotNull();
        Frames.assertFrame(pong.frame(), true, WsFrame.PONG, Frames.utf8("payload-" + i), d + ": pong " + i);
      }
      s.assertQuiet(d, d + ": ten pings and ten pongs relayed, nothing more");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> unsolicited() {
    return Cases.bothWays("2.8 (wsgate, forward-pings) unsolicited pong with payload");
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("unsolicited")
  void unsolicitedPongIsRelayed(Direction d) throws Exception {
    try (Proxied s = rig.open()) {
      s.from(d).send(true, WsFrame.PONG, Frames.utf8("unsolicited pong payload"));
      Next pong = Next.of(s.to(d));
      assertThat(pong.frame()).as("%s: the relayed pong, got %s", d, pong).isNotNull();
      Frames.assertFrame(pong.frame(), true, WsFrame.PONG, Frames.utf8("unsolicited pong payload"),
          d + ": the relayed pong");
      s.assertQuiet(d, d + ": the pong relayed once, nothing answered");
      s.closeCleanly();
    }
  }
}
