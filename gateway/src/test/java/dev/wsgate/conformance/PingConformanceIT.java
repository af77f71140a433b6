package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import java.io.ByteArrayOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 2.x, pings and pongs, by default: heartbeats are hop by hop (README, "Pings"), so wsgate answers a ping
 * on the leg it came from, with a pong carrying the same payload, and relays neither pings nor pongs; an
 * unsolicited pong is taken as life and swallowed. A ping too long for a control frame is a protocol error.
 */
@ExtendWith(NamedFailures.class)
class PingConformanceIT {

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

  static Stream<Arguments> answered() {
    return Stream.of(
        Cases.bothWays("2.1 ping without payload", new byte[0], 0),
        Cases.bothWays("2.2 ping with a small text payload", Frames.utf8("Hello, world!"), 0),
        Cases.bothWays("2.3 ping with a small binary payload", Frames.hex("00 ff fe fd fc fb 00 ff"), 0),
        Cases.bothWays("2.4 ping with a 125-byte binary payload", Frames.binary(125, 24), 0),
        Cases.bothWays("2.6 ping with a 125-byte binary payload in 1-byte writes", Frames.binary(125, 26), 1))
        .flatMap(s -> s);
  }

  /**
   * @param chunk the sender writes the ping in writes of this many bytes; 0: at once
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("answered")
  void pingIsAnsweredOnItsOwnLegAndNotRelayed(Direction d, byte[] payload, int chunk) throws Exception {
    try (Proxied s = rig.open()) {
      byte[] ping = Frames.wire(d, WsFrame.PING, payload);
      s.write(d, ping, chunk == 0 ? ping.length : chunk);
      Next pong = Next.of(s.from(d));
      assertThat(pong.frame()).as("%s: the %s's answer, got %s", d, d.sender(), pong).isNotNull();
      Frames.assertFrame(pong.frame(), true, WsFrame.PONG, payload, d + ": the pong wsgate answers");
      s.assertQuiet(d, d + ": the ping is not relayed, one pong only");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> unsolicited() {
    return Stream.of(
        Cases.bothWays("2.7 unsolicited pong without payload", new byte[0]),
        Cases.bothWays("2.8 unsolicited pong with payload", Frames.utf8("unsolicited pong payload")))
        .flatMap(s -> s);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("unsolicited")
  void unsolicitedPongIsSwallowed(Direction d, byte[] payload) throws Exception {
    try (Proxied s = rig.open()) {
      s.from(d).send(true, WsFrame.PONG, payload);
      s.assertQuiet(d, d + ": the pong is neither relayed nor answered");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> pongThenPing() {
    return Cases.bothWays("2.9 unsolicited pong, then a ping");
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("pongThenPing")
  void onlyThePingIsAnswered(Direction d) throws Exception {
    try (Proxied s = rig.open()) {
      s.write(d, Frames.concat(Frames.wire(d, WsFrame.PONG, Frames.utf8("unsolicited pong payload")),
          Frames.wire(d, WsFrame.PING, Frames.utf8("ping payload"))));
      Next pong = Next.of(s.from(d));
      assertThat(pong.frame()).as("%s: the answer to the ping, got %s", d, pong).isNotNull();
      Frames.assertFrame(pong.frame(), true, WsFrame.PONG, Frames.utf8("ping payload"), d + ": the pong");
      s.assertQuiet(d, d + ": nothing relayed, nothing else answered");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> tenPings() {
    return Stream.of(
        Cases.bothWays("2.10 10 pings", 0),
        Cases.bothWays("2.11 10 pings in 1-byte writes", 1))
        .flatMap(s -> s);
  }

  /**
   * @param chunk the sender writes the pings in writes of this many bytes; 0: at once
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("tenPings")
  void tenPingsGetTenPongsInOrder(Direction d, int chunk) throws Exception {
    try (Proxied s = rig.open()) {
      ByteArrayOutputStream pings = new ByteArrayOutputStream();
      for (int i = 0; i < 10; i++) {
        pings.writeBytes(Frames.wire(d, WsFrame.PING, Frames.utf8("payload-" + i)));
      }
      s.write(d, pings.toByteArray(), chunk == 0 ? pings.size() : chunk);
      for (int i = 0; i < 10; i++) {
        Next pong = Next.of(s.from(d));
        assertThat(pong.frame()).as("%s: pong %d, got %s", d, i, pong).isNotNull();
        Frames.assertFrame(pong.frame(), true, WsFrame.PONG, Frames.utf8("payload-" + i), d + ": pong " + i);
      }
      s.assertQuiet(d, d + ": ten pongs, no ping relayed");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> tooLong() {
    return Cases.bothWays("2.5 ping with a 126-byte payload");
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("tooLong")
  void pingOver125BytesIsAProtocolError(Direction d) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1002);
      s.from(d).send(true, WsFrame.PING, Frames.binary(126, 25));
      failure.senderClosed(s);
    }
    before.assertBack();
  }
}
