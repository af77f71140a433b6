package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 7.x, closing (README, "Close codes"): a close frame with a code that may be sent is relayed to the other
 * leg with its code and reason, and that peer's answer comes back as the answer; a close without a code is relayed
 * without one; nothing the sender sends after its close is relayed or answered. A close that may not be sent (a
 * 1-byte payload, a code outside the registry, a reason that is not UTF-8) fails the sender, which had sent a close
 * already, so its connection is dropped without a close frame from wsgate; the other leg gets 1001 or 1014.
 *
 * <p>The close timeout is short here, so that a peer that keeps its connection open after the close handshake is
 * cut soon: that is how a case sees the end of everything wsgate relayed to the upstream after a close.
 */
@ExtendWith(NamedFailures.class)
class CloseConformanceIT {

  private static final Duration CLOSE_TIMEOUT = Duration.ofMillis(500);

  /** Codes a peer may send (RFC 6455, 7.4, and the IANA registry): each is relayed as it is. */
  private static final int[] VALID_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
      1014, 3000, 3999, 4000, 4999};

  @RegisterExtension
  static final Rig rig = Rig.with("  close-timeout: " + CLOSE_TIMEOUT.toMillis() + "ms\n", "");

  // ------------------------------------------------------------------------------------------------ relayed

  static Stream<Arguments> relayed() {
    Stream.Builder<Stream<Arguments>> all = Stream.builder();
    all.add(Cases.bothWays("7.3.1 close without payload", new byte[0], new byte[0]));
    all.add(Cases.bothWays("7.3.3 close 1000 without reason", WsWire.closePayload(1000, ""),
        WsWire.closePayload(1000, "")));
    all.add(Cases.bothWays("7.3.4 close 1000 with a short reason", WsWire.closePayload(1000, "Hello World!"),
        WsWire.closePayload(1000, "answer")));
    all.add(Cases.bothWays("7.3.5 close 1000 with a 123-byte reason", WsWire.closePayload(1000,
        new String(Frames.ascii(123, 735), StandardCharsets.US_ASCII)),
        WsWire.closePayload(1000, new String(Frames.ascii(123, 736), StandardCharsets.US_ASCII))));
    for (int i = 0; i < VALID_CODES.length; i++) {
      int code = VALID_CODES[i];
      all.add(Cases.bothWays("7.7." + (i + 1) + " close " + code, WsWire.closePayload(code, "reason " + code),
          WsWire.closePayload(code, "answer " + code)));
    }
    return all.build().flatMap(s -> s);
  }

  /**
   * @param close  the payload of the close the sender sends
   * @param answer the payload of the receiver's answer
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("relayed")
  void closeIsRelayedAndTheAnswerComesBack(Direction d, byte[] close, byte[] answer) throws Exception {
    try (Proxied s = rig.open()) {
      s.from(d).send(true, WsFrame.CLOSE, close);
      Next atReceiver = Next.of(s.to(d));
      assertThat(atReceiver.frame()).as("%s: the relayed close, got %s", d, atReceiver).isNotNull();
      Frames.assertFrame(atReceiver.frame(), true, WsFrame.CLOSE, close, d + ": the relayed close");
      s.to(d).send(true, WsFrame.CLOSE, answer);
      Next atSender = Next.of(s.from(d));
      assertThat(atSender.frame()).as("%s: the relayed answer, got %s", d, atSender).isNotNull();
      Frames.assertFrame(atSender.frame(), true, WsFrame.CLOSE, answer, d + ": the relayed answer");
      assertThat(Next.of(s.client()).eof()).as("%s: wsgate closes the client connection", d).isTrue();
      s.upstream().close(); // the upstream, the server on its leg, closes TCP
      int code = close.length == 0 ? 1005 : atReceiver.frame().closeCode();
      assertThat(RecordingAppender.await(l -> l.contains("request_id=" + s.id() + " "), Duration.ofSeconds(5)))
          .as("%s: the access log", d).contains(" close_code=" + code + " closed_by=" + d.sender() + " ");
    }
  }

  // ------------------------------------------------------------------------------------------------ after the close

  static Stream<Arguments> afterTheClose() {
    return Stream.of(
        Cases.bothWays("7.1.2 close, then a second close: only the first relayed", List.of(),
            List.of(new WsFrame(true, 0, WsFrame.CLOSE, WsWire.closePayload(1001, "second")))),
        Cases.bothWays("7.1.3 close, then ping: the ping not answered", List.of(),
            List.of(new WsFrame(true, 0, WsFrame.PING, Frames.utf8("ping after close")))),
        Cases.bothWays("7.1.4 close, then text: the text not relayed", List.of(),
            List.of(new WsFrame(true, 0, WsFrame.TEXT, Frames.utf8("text after close")))),
        Cases.bothWays("7.1.5 text fragment, close, continuation: the continuation not relayed",
            List.of(new WsFrame(false, 0, WsFrame.TEXT, Frames.utf8("fragment1"))),
            List.of(new WsFrame(true, 0, WsFrame.CONTINUATION, Frames.utf8("fragment2")))))
        .flatMap(s -> s);
  }

  /**
   * The sender writes {@code before}, a close 1000 and {@code after} in one write; the receiver sees {@code
   * before} and the close, and then nothing until its connection ends; the sender sees only the answer.
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("afterTheClose")
  void nothingAfterTheCloseIsRelayedOrAnswered(Direction d, List<WsFrame> before, List<WsFrame> after)
      throws Exception {
    try (Proxied s = rig.open()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      before.forEach(f -> out.writeBytes(Frames.wire(d, f.fin(), 0, f.opcode(), f.payload())));
      out.writeBytes(Frames.wire(d, WsFrame.CLOSE, WsWire.closePayload(1000, "first")));
      after.forEach(f -> out.writeBytes(Frames.wire(d, f.fin(), 0, f.opcode(), f.payload())));
      s.write(d, out.toByteArray());
      for (WsFrame f : before) {
        Next next = Next.of(s.to(d));
        assertThat(next.frame()).as("%s: %s, relayed first, got %s", d, Frames.describe(f), next).isNotNull();
        Frames.assertFrame(next.frame(), f.fin(), f.opcode(), f.payload(), d + ": before the close");
      }
      Next close = Next.of(s.to(d));
      assertThat(close.isClose(1000)).as("%s: the relayed close, got %s", d, close).isTrue();
      s.to(d).sendClose(1000, "answer");
      Next answer = Next.of(s.from(d));
      assertThat(answer.isClose(1000) && answer.frame().closeReason().equals("answer"))
          .as("%s: the next frame at the %s is the answer, got %s", d, d.sender(), answer).isTrue();
      // Both close frames crossed: wsgate closes the client connection at once, the upstream's once the upstream
      // did not close it within the close timeout. Until then, nothing more arrives at either end.
      WsEndpoint client = s.client();
      Next clientEnd = Next.of(client);
      assertThat(clientEnd.eof()).as("%s: the client connection ends with nothing more, got %s", d, clientEnd)
          .isTrue();
      if (d.receiver() == Leg.UPSTREAM) {
        Next upstreamEnd = Next.of(s.upstream());
        assertThat(upstreamEnd.eof()).as("%s: the upstream connection ends with nothing more, got %s", d,
            upstreamEnd).isTrue();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ failing

  static Stream<Arguments> invalidCodes() {
    int[] autobahn = {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999};
    Stream.Builder<Stream<Arguments>> all = Stream.builder();
    for (int i = 0; i < autobahn.length; i++) {
      all.add(Cases.bothWays("7.9." + (i + 1) + " close " + autobahn[i], autobahn[i]));
    }
    all.add(Cases.bothWays("7.9.x (wsgate) close 1015", 1015));
    all.add(Cases.bothWays("7.13.1 close 5000", 5000));
    all.add(Cases.bothWays("7.13.2 close 65535", 65535));
    return all.build().flatMap(s -> s);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("invalidCodes")
  void closeWithACodeThatMayNotBeSentDropsTheSender(Direction d, int code) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1002);
      s.from(d).sendClose(code, "invalid code " + code);
      failure.senderDropped(s);
    }
    before.assertBack();
  }

  static Stream<Arguments> invalidReason() {
    return Cases.bothWays("7.5.1 close 1000 with a reason that is not UTF-8");
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("invalidReason")
  void closeWithAReasonThatIsNotUtf8DropsTheSender(Direction d) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1007);
      s.from(d).send(true, WsFrame.CLOSE, Frames.concat(Frames.hex("03 e8"),
          Frames.hex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64")));
      failure.senderDropped(s);
    }
    before.assertBack();
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Cases.bothWays("7.3.2 close with a 1-byte payload", new byte[] {0x03}),
        Cases.bothWays("7.3.6 close 1000 with a 124-byte reason: over 125 bytes", WsWire.closePayload(1000,
            new String(Frames.ascii(124, 736), StandardCharsets.US_ASCII))))
        .flatMap(s -> s);
  }

  /** A close frame that is not one fails the sender (it gets 1002 or loses its connection: RFC 6455, 7.1.7). */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("malformed")
  void malformedCloseFailsTheSender(Direction d, byte[] payload) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1002);
      s.from(d).send(true, WsFrame.CLOSE, payload);
      failure.senderClosedOrDropped(s);
    }
    before.assertBack();
  }
}
