package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 4.x, opcodes: the reserved non-control opcodes 3-7 (4.1.x) and control opcodes 11-15 (4.2.x), empty or
 * with a payload, are protocol errors: 1002 to the sender, 1001 or 1014 to the other leg. As in Autobahn, some
 * follow a valid text (relayed first) and are followed by a ping (not answered).
 */
class OpcodeConformanceIT {

  private static final byte[] HELLO = Frames.utf8("Hello, world!");
  private static final byte[] PAYLOAD = Frames.utf8("reserved opcode payload");

  private static Rig rig;

  @BeforeAll
  static void start() throws Exception {
    rig = Rig.start();
  }

  @AfterAll
  static void stop() throws Exception {
    rig.close();
  }

  static Stream<Arguments> cases() {
    Stream.Builder<Stream<Arguments>> all = Stream.builder();
    for (int group = 1; group <= 2; group++) {
      int base = group == 1 ? 3 : 11;
      for (int i = 0; i < 5; i++) {
        int opcode = base + i;
        // Autobahn's choice: the first of each group empty and alone, the second with a payload and alone,
        // the third empty between a text and a ping, the fourth and fifth with a payload between them.
        boolean withPayload = i == 1 || i >= 3;
        boolean between = i >= 2;
        String name = "4." + group + "." + (i + 1) + " " + (between ? "text, then " : "") + "opcode " + opcode
            + (withPayload ? " with a payload" : " empty") + (between ? ", then ping" : "");
        all.add(Cases.bothWays(name, opcode, withPayload ? PAYLOAD : new byte[0], between));
        // And the other way round, so that every reserved opcode is sent both empty and with a payload.
        String other = "4." + group + "." + (i + 6) + " (wsgate) opcode " + opcode
            + (withPayload ? " empty" : " with a payload");
        all.add(Cases.bothWays(other, opcode, withPayload ? new byte[0] : PAYLOAD, false));
      }
    }
    return all.build().flatMap(s -> s);
  }

  /**
   * @param between a valid text goes first and a ping after, all in one write
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("cases")
  void reservedOpcodeFailsTheSender(Direction d, int opcode, byte[] payload, boolean between) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1002);
      s.write(d, Frames.concat(
          between ? Frames.wire(d, WsFrame.TEXT, HELLO) : new byte[0],
          Frames.wire(d, opcode, payload),
          between ? Frames.wire(d, WsFrame.PING, Frames.utf8("ping after")) : new byte[0]));
      if (between) {
        Next first = Next.of(s.to(d));
        assertThat(first.frame()).as("%s: the valid text, relayed first, got %s", d, first).isNotNull();
        Frames.assertFrame(first.frame(), true, WsFrame.TEXT, HELLO, d + ": the valid text");
      }
      failure.senderClosed(s);
    }
    before.assertBack();
  }
}
