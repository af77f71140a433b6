package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 3.x, reserved bits: wsgate negotiates no extension, so a frame with any of RSV1-RSV3 set is a protocol
 * error (1002 to the sender; 1001 or 1014 to the other leg), whatever the frame: text, binary, ping, pong, close.
 * RSV is the 3-bit field as Autobahn numbers it: 4 is RSV1, 2 is RSV2, 1 is RSV3; Autobahn's seven cases set each
 * bit alone on a text and the combinations on text, binary, ping and close. A valid frame sent before the bad one
 * is relayed first; a ping sent after it is not answered.
 */
@ExtendWith(NamedFailures.class)
class ReservedBitsConformanceIT {

  private static final byte[] HELLO = Frames.utf8("Hello, world!");

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

  static Stream<Arguments> cases() {
    byte[] close = WsWire.closePayload(1000, "Hello");
    byte[] binary = Frames.hex("00 ff fe fd fc fb 00 ff");
    return Stream.of(
        Cases.bothWays("3.1 text with RSV=1", false, 1, WsFrame.TEXT, HELLO, false),
        Cases.bothWays("3.2 text, then text with RSV=2", true, 2, WsFrame.TEXT, HELLO, false),
        Cases.bothWays("3.3 text, then text with RSV=3, in one write", true, 3, WsFrame.TEXT, HELLO, false),
        Cases.bothWays("3.4 text, then text with RSV=4, then ping, in one write", true, 4, WsFrame.TEXT, HELLO,
            true),
        Cases.bothWays("3.5 binary with RSV=5", false, 5, WsFrame.BINARY, binary, false),
        Cases.bothWays("3.6 ping with RSV=6", false, 6, WsFrame.PING, HELLO, false),
        Cases.bothWays("3.7 close with RSV=7", false, 7, WsFrame.CLOSE, close, false),
        Cases.bothWays("3.x (wsgate) pong with RSV=4", false, 4, WsFrame.PONG, HELLO, false))
        .flatMap(s -> s);
  }

  /**
   * @param textBefore a valid text goes first, in the same write
   * @param pingAfter  a ping follows the bad frame, in the same write: it must not be answered
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("cases")
  void reservedBitsFailTheSender(Direction d, boolean textBefore, int rsv, int opcode, byte[] payload,
      boolean pingAfter) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1002);
      s.write(d, Frames.concat(
          textBefore ? Frames.wire(d, WsFrame.TEXT, HELLO) : new byte[0],
          Frames.wire(d, true, rsv, opcode, payload),
          pingAfter ? Frames.wire(d, WsFrame.PING, Frames.utf8("ping after")) : new byte[0]));
      if (textBefore) {
        Next first = Next.of(s.to(d));
        assertThat(first.frame()).as("%s: the valid text, relayed first, got %s", d, first).isNotNull();
        Frames.assertFrame(first.frame(), true, WsFrame.TEXT, HELLO, d + ": the valid text");
      }
      failure.senderClosed(s);
    }
    before.assertBack();
  }
}
