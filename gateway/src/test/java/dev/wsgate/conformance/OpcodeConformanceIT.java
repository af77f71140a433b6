package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 4.x, opcodes: the reserved non-control opcodes 3-7 (4.1.x) and control opcodes 11-15 (4.2.x), empty or
 * with a payload, are protocol errors: 1002 to the sender, 1001 or 1014 to the other leg. Autobahn's ten cases:
 * each reserved opcode once, empty or with a payload, some after a valid text (relayed first) and before a ping
 * (not answered).
 */
@ExtendWith(NamedFailures.class)
class OpcodeConformanceIT {

  private static final byte[] HELLO = Frames.utf8("Hello, world!");
  private static final byte[] PAYLOAD = Frames.utf8("reserved opcode payload");

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

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
