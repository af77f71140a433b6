package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.WsFrame;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 1.x, framing: text (1.1.x) and binary (1.2.x) messages of every length encoding's edges are relayed
 * intact as one frame, FIN and opcode kept, whether the sender writes a frame at once or in small pieces. Cases
 * Autobahn does not have are marked (wsgate).
 */
@ExtendWith(NamedFailures.class)
class FramingConformanceIT {

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

  /** The payload lengths of 1.1.1-1.1.7: each side of the 7-bit, 16-bit and 64-bit length encodings. */
  private static final int[] LENGTHS = {0, 125, 126, 127, 128, 65_535, 65_536};

  /**
   * A larger message, within {@code server.max-frame-size} (the limit itself is 9.x's). Not larger: client→upstream,
   * wsgate unmasks and masks the payload through buffers that Netty's leak detector, at paranoid level in tests,
   * traces on every access, which costs about a second per MiB.
   */
  private static final int LARGE = 256 << 10;

  static Stream<Arguments> cases() {
    Stream.Builder<Stream<Arguments>> all = Stream.builder();
    for (int group = 1; group <= 2; group++) {
      int opcode = group == 1 ? WsFrame.TEXT : WsFrame.BINARY;
      String kind = group == 1 ? "text" : "binary";
      for (int i = 0; i < LENGTHS.length; i++) {
        all.add(Cases.bothWays("1." + group + "." + (i + 1) + " " + kind + " " + LENGTHS[i] + " bytes", opcode,
            LENGTHS[i], 0));
      }
      all.add(Cases.bothWays("1." + group + ".8 " + kind + " 65536 bytes in 997-byte writes", opcode, 65_536,
          997));
      all.add(Cases.bothWays("1." + group + ".9 (wsgate) " + kind + " " + LARGE + " bytes", opcode, LARGE, 0));
      all.add(Cases.bothWays("1." + group + ".10 (wsgate) " + kind + " 128 bytes in 1-byte writes", opcode,
          128, 1));
      all.add(Cases.bothWays("1." + group + ".11 (wsgate) " + kind + " 65536 bytes in 1-byte writes", opcode,
          65_536, 1));
    }
    return all.build().flatMap(s -> s);
  }

  /**
   * @param chunk the sender writes the frame in writes of this many bytes; 0: at once
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("cases")
  void relayedIntactAsOneFrame(Direction d, int opcode, int length, int chunk) throws Exception {
    byte[] payload = opcode == WsFrame.TEXT ? Frames.ascii(length, length) : Frames.binary(length, length);
    byte[] wire = Frames.wire(d, opcode, payload);
    try (Proxied s = rig.open()) {
      CompletableFuture<Void> sent = s.writeAsync(d, wire, chunk == 0 ? wire.length : chunk);
      Next next = Next.of(s.to(d));
      Async.join(sent, Proxied.READ_TIMEOUT, d + ": the sender's writes");
      assertThat(next.frame()).as("%s: the relayed frame, got %s", d, next)
          .isNotNull();
      Frames.assertFrame(next.frame(), true, opcode, payload, d + " " + Frames.OPCODE_NAMES[opcode] + " " + length);
      s.assertQuiet(d, d.toString());
      s.closeCleanly();
    }
  }
}
