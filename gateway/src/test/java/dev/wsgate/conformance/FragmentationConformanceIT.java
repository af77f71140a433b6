package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 5.x, fragmentation: fragmented messages are relayed frame by frame (README, "Frames"), each frame with
 * the FIN and opcode it was sent with, continuation frames kept and never re-aggregated; a ping between fragments
 * is answered by wsgate on its leg while the fragments go on in order. Fragmented control frames, continuation
 * frames with nothing to continue and a new message inside a fragmented one are protocol errors (1002), after the
 * frames before them were relayed.
 */
@ExtendWith(NamedFailures.class)
class FragmentationConformanceIT {

  /** The sender writes all frames at once. */
  private static final int AT_ONCE = 0;
  /** The sender writes each frame on its own. */
  private static final int FRAME_WISE = -1;
  /** The sender writes one byte at a time. */
  private static final int OCTET_WISE = 1;

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

  private static WsFrame frame(boolean fin, int opcode, String payload) {
    return new WsFrame(fin, 0, opcode, Frames.utf8(payload));
  }

  private static WsFrame frame(boolean fin, int opcode, byte[] payload) {
    return new WsFrame(fin, 0, opcode, payload);
  }

  private static final int TEXT = WsFrame.TEXT;
  private static final int BINARY = WsFrame.BINARY;
  private static final int CONT = WsFrame.CONTINUATION;
  private static final int PING = WsFrame.PING;

  static Stream<Arguments> relayed() {
    List<WsFrame> two = List.of(frame(false, TEXT, "fragment1"), frame(true, CONT, "fragment2"));
    List<WsFrame> twoWithPing = List.of(frame(false, TEXT, "fragment1"), frame(true, PING, "pongme!"),
        frame(true, CONT, "fragment2"));
    List<WsFrame> fiveWithTwoPings = List.of(frame(false, TEXT, "fragment1"), frame(false, CONT, "fragment2"),
        frame(true, PING, "pongme 1!"), frame(false, CONT, "fragment3"), frame(false, CONT, "fragment4"),
        frame(true, PING, "pongme 2!"), frame(true, CONT, "fragment5"));
    List<WsFrame> binary = List.of(frame(false, BINARY, Frames.binary(300, 1)), frame(false, CONT,
        Frames.binary(70_000, 2)), frame(true, CONT, Frames.binary(1, 3)));
    List<WsFrame> binaryWithPing = List.of(frame(false, BINARY, Frames.hex("00 01 02")), frame(true, PING,
        Frames.hex("ff fe")), frame(true, CONT, Frames.hex("03 04")));
    List<WsFrame> empties = List.of(frame(false, TEXT, ""), frame(false, CONT, "middle"), frame(false, CONT, ""),
        frame(true, CONT, ""));
    return Stream.of(
        Cases.bothWays("5.3 text in 2 fragments", two, AT_ONCE),
        Cases.bothWays("5.4 text in 2 fragments, frame-wise writes", two, FRAME_WISE),
        Cases.bothWays("5.5 text in 2 fragments, octet-wise writes", two, OCTET_WISE),
        Cases.bothWays("5.6 text in 2 fragments, ping in between", twoWithPing, AT_ONCE),
        Cases.bothWays("5.7 text in 2 fragments, ping in between, frame-wise writes", twoWithPing, FRAME_WISE),
        Cases.bothWays("5.8 text in 2 fragments, ping in between, octet-wise writes", twoWithPing, OCTET_WISE),
        Cases.bothWays("5.19 text in 5 fragments, 2 pings in between", fiveWithTwoPings, FRAME_WISE),
        Cases.bothWays("5.x (wsgate) binary in 3 fragments of 300, 70000 and 1 bytes", binary, FRAME_WISE),
        Cases.bothWays("5.x (wsgate) binary in 2 fragments, ping in between", binaryWithPing, AT_ONCE),
        Cases.bothWays("5.x (wsgate) text with empty fragments", empties, FRAME_WISE),
        Cases.bothWays("5.x (wsgate) text in 1000 fragments of 1 byte", manyFragments(TEXT), AT_ONCE),
        Cases.bothWays("5.x (wsgate) binary in 1000 fragments of 1 byte", manyFragments(BINARY), AT_ONCE))
        .flatMap(s -> s);
  }

  private static List<WsFrame> manyFragments(int opcode) {
    byte[] payload = opcode == TEXT ? Frames.ascii(1000, 5) : Frames.binary(1000, 5);
    List<WsFrame> frames = new ArrayList<>();
    for (int i = 0; i < payload.length; i++) {
      frames.add(frame(i == payload.length - 1, i == 0 ? opcode : CONT, new byte[] {payload[i]}));
    }
    return frames;
  }

  /**
   * @param frames what the sender sends: the data frames are relayed as they are, the pings answered
   * @param writes {@link #AT_ONCE}, {@link #FRAME_WISE} or {@link #OCTET_WISE}
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("relayed")
  void relayedFrameByFrame(Direction d, List<WsFrame> frames, int writes) throws Exception {
    try (Proxied s = rig.open()) {
      send(s, d, frames, writes);
      List<WsFrame> data = frames.stream().filter(f -> f.opcode() != PING).toList();
      List<WsFrame> pings = frames.stream().filter(f -> f.opcode() == PING).toList();
      for (int i = 0; i < data.size(); i++) {
        Next next = Next.of(s.to(d));
        assertThat(next.frame()).as("%s: frame %d of %d, got %s", d, i, data.size(), next).isNotNull();
        WsFrame sent = data.get(i);
        Frames.assertFrame(next.frame(), sent.fin(), sent.opcode(), sent.payload(), d + ": frame " + i);
      }
      for (WsFrame ping : pings) {
        Next pong = Next.of(s.from(d));
        assertThat(pong.frame()).as("%s: the pong to %s, got %s", d, Frames.describe(ping), pong).isNotNull();
        Frames.assertFrame(pong.frame(), true, WsFrame.PONG, ping.payload(), d + ": the pong");
      }
      s.assertQuiet(d, d + ": the frames relayed once, the pings answered and not relayed");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> failing() {
    return Stream.of(
        Cases.bothWays("5.1 ping in 2 fragments", 0, List.of(frame(false, PING, "fragment1"),
            frame(true, CONT, "fragment2"))),
        Cases.bothWays("5.x (wsgate) close in 2 fragments", 0, List.of(frame(false, WsFrame.CLOSE,
            Frames.hex("03 e8")), frame(true, CONT, "fragment2"))),
        Cases.bothWays("5.9 continuation with FIN=1 and nothing to continue, then text", 0,
            List.of(frame(true, CONT, "non-continuation payload"), frame(true, TEXT, "Hello, world!"))),
        Cases.bothWays("5.12 continuation with FIN=0 and nothing to continue, then text", 0,
            List.of(frame(false, CONT, "non-continuation payload"), frame(true, TEXT, "Hello, world!"))),
        Cases.bothWays("5.18 text fragment, then a text frame instead of a continuation", 1,
            List.of(frame(false, TEXT, "fragment1"), frame(true, TEXT, "fragment2"))),
        Cases.bothWays("5.x (wsgate) binary fragment, then a binary frame instead of a continuation", 1,
            List.of(frame(false, BINARY, Frames.hex("01 02")), frame(true, BINARY, Frames.hex("03 04")))))
        .flatMap(s -> s);
  }

  /**
   * @param relayedFirst how many of the frames are valid and relayed before the protocol error
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("failing")
  void protocolErrorAfterTheValidFrames(Direction d, int relayedFirst, List<WsFrame> frames) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1002);
      send(s, d, frames, AT_ONCE);
      for (int i = 0; i < relayedFirst; i++) {
        Next next = Next.of(s.to(d));
        assertThat(next.frame()).as("%s: frame %d, relayed first, got %s", d, i, next).isNotNull();
        WsFrame sent = frames.get(i);
        Frames.assertFrame(next.frame(), sent.fin(), sent.opcode(), sent.payload(), d + ": frame " + i);
      }
      failure.senderClosed(s);
    }
    before.assertBack();
  }

  private static void send(Proxied s, Direction d, List<WsFrame> frames, int writes) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (WsFrame f : frames) {
      byte[] wire = Frames.wire(d, f.fin(), 0, f.opcode(), f.payload());
      if (writes == FRAME_WISE) {
        s.write(d, wire);
      } else {
        all.writeBytes(wire);
      }
    }
    if (writes != FRAME_WISE) {
      s.write(d, all.toByteArray(), writes == OCTET_WISE ? 1 : Math.max(1, all.size()));
    }
  }
}
