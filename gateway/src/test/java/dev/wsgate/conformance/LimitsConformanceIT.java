package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 9.x, limits and performance, as they apply to a relay: a frame of exactly {@code server.max-frame-size}
 * is relayed, one byte more is refused with 1009 (1001 or 1014 to the other leg); a message far larger than the
 * limit streams through in fragments below it, intact and in order; and a long run of tiny frames is relayed in
 * order, every one of them counted.
 *
 * <p>The large message is Autobahn 9.3.6 (text of 4 MiB in 64 KiB fragments; text, so that wsgate's UTF-8 check
 * streams across fragments that end inside characters). Larger ones cost little more upstream→client, but
 * client→upstream wsgate unmasks and masks every payload through buffers that Netty's leak detector, at paranoid
 * level in tests, traces on every access: about a second per MiB. For the same reason the run of tiny frames, whose
 * cost is per frame, takes a few seconds each way.
 */
@ExtendWith(NamedFailures.class)
class LimitsConformanceIT {

  private static final int LARGE = 4 << 20;
  private static final int FRAGMENT = 64 << 10;
  private static final int TINY_FRAMES = 100_000;
  private static final int TINY = 16;

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

  private static byte[] payload(int opcode, int length) {
    return opcode == WsFrame.TEXT ? Frames.ascii(length, length) : Frames.binary(length, length);
  }

  static Stream<Arguments> atTheLimit() {
    return Stream.of(
        Cases.bothWays("9.1.x (wsgate) text of max-frame-size, " + Rig.MAX_FRAME_SIZE + " bytes", WsFrame.TEXT),
        Cases.bothWays("9.2.x (wsgate) binary of max-frame-size, " + Rig.MAX_FRAME_SIZE + " bytes",
            WsFrame.BINARY))
        .flatMap(s -> s);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("atTheLimit")
  void frameOfMaxFrameSizeIsRelayed(Direction d, int opcode) throws Exception {
    byte[] payload = payload(opcode, Rig.MAX_FRAME_SIZE);
    try (Proxied s = rig.open()) {
      CompletableFuture<Void> sent = s.writeAsync(d, Frames.wire(d, opcode, payload), 64 << 10);
      Next next = Next.of(s.to(d));
      Async.join(sent, Proxied.READ_TIMEOUT, d + ": the sender's writes");
      assertThat(next.frame()).as("%s: the relayed frame, got %s", d, next).isNotNull();
      Frames.assertFrame(next.frame(), true, opcode, payload, d + ": the frame of max-frame-size");
      s.assertQuiet(d, d.toString());
      s.closeCleanly();
    }
  }

  static Stream<Arguments> overTheLimit() {
    return Cases.bothWays("9.2.x (wsgate) binary of max-frame-size + 1 byte", WsFrame.BINARY);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("overTheLimit")
  void frameOverMaxFrameSizeFailsTheSender(Direction d, int opcode) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1009);
      // wsgate refuses the frame from its header: the payload may never be read, so it is written aside.
      CompletableFuture<Void> sent = s.writeAsync(d, Frames.wire(d, opcode, payload(opcode,
          Rig.MAX_FRAME_SIZE + 1)), 64 << 10);
      failure.senderClosed(s);
      // Written, or failed with the connection wsgate closed.
      Async.join(sent.handle((ok, failed) -> null), Proxied.READ_TIMEOUT, d + ": the sender's writes end");
    }
    before.assertBack();
  }

  static Stream<Arguments> large() {
    return Cases.bothWays("9.3.6 text of 4 MiB in 64 KiB fragments", WsFrame.TEXT);
  }

  /** A message four times the frame limit streams through, fragment by fragment (text split inside characters). */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("large")
  void largeMessageInFragmentsIsRelayedIntactAndInOrder(Direction d, int opcode) throws Exception {
    byte[] message = opcode == WsFrame.TEXT ? multibyteText(LARGE) : Frames.binary(LARGE, 946);
    int fragments = LARGE / FRAGMENT;
    ByteArrayOutputStream wire = new ByteArrayOutputStream(LARGE + fragments * 14);
    for (int i = 0; i < fragments; i++) {
      wire.writeBytes(Frames.wire(d, i == fragments - 1, 0, i == 0 ? opcode : WsFrame.CONTINUATION,
          Arrays.copyOfRange(message, i * FRAGMENT, (i + 1) * FRAGMENT)));
    }
    try (Proxied s = rig.open()) {
      CompletableFuture<Void> sent = s.writeAsync(d, wire.toByteArray(), 64 << 10);
      for (int i = 0; i < fragments; i++) {
        Next next = Next.of(s.to(d));
        assertThat(next.frame()).as("%s: fragment %d of %d, got %s", d, i, fragments, next).isNotNull();
        Frames.assertFrame(next.frame(), i == fragments - 1, i == 0 ? opcode : WsFrame.CONTINUATION,
            Arrays.copyOfRange(message, i * FRAGMENT, (i + 1) * FRAGMENT), d + ": fragment " + i);
      }
      Async.join(sent, Proxied.READ_TIMEOUT, d + ": the sender's writes");
      s.assertQuiet(d, d.toString());
      s.closeCleanly();
    }
  }

  /** Text of 1-, 2-, 3- and 4-byte characters in turn, so that 64 KiB fragments end inside characters. */
  private static byte[] multibyteText(int length) {
    byte[] unit = Frames.utf8("aß€\uD83D\uDE00");
    byte[] text = new byte[length];
    int i = 0;
    while (i + unit.length <= length) {
      System.arraycopy(unit, 0, text, i, unit.length);
      i += unit.length;
    }
    Arrays.fill(text, i, length, (byte) 'z');
    return text;
  }

  static Stream<Arguments> tiny() {
    return Cases.bothWays("9.8.x (wsgate) " + TINY_FRAMES + " binary frames of " + TINY + " bytes");
  }

  /**
   * A run of tiny frames, each numbered: every one arrives, in order, and wsgate's own count of the session (its
   * access log line) has them all.
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("tiny")
  void manyTinyFramesAreRelayedInOrderEveryOneAccountedFor(Direction d) throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream(TINY_FRAMES * (TINY + 6));
    for (int i = 0; i < TINY_FRAMES; i++) {
      wire.writeBytes(Frames.wire(d, WsFrame.BINARY, tinyPayload(i)));
    }
    try (Proxied s = rig.open()) {
      CompletableFuture<Void> sent = s.writeAsync(d, wire.toByteArray(), 64 << 10);
      for (int i = 0; i < TINY_FRAMES; i++) {
        WsFrame f = s.to(d).read();
        if (f.opcode() != WsFrame.BINARY || !f.fin() || f.rsv() != 0
            || !Arrays.equals(f.payload(), tinyPayload(i))) {
          Frames.assertFrame(f, true, WsFrame.BINARY, tinyPayload(i), d + ": frame " + i + " of " + TINY_FRAMES);
        }
      }
      Async.join(sent, Proxied.READ_TIMEOUT, d + ": the sender's writes");
      s.closeCleanly();
      String counts = d.sender() == Leg.CLIENT
          ? " frames_in=" + TINY_FRAMES + " bytes_in=" + TINY_FRAMES * TINY + " frames_out=0 bytes_out=0 "
          : " frames_in=0 bytes_in=0 frames_out=" + TINY_FRAMES + " bytes_out=" + TINY_FRAMES * TINY + " ";
      assertThat(RecordingAppender.await(l -> l.contains("request_id=" + s.id() + " "), Duration.ofSeconds(5)))
          .as("%s: wsgate's count of the session", d).contains(counts);
    }
  }

  /** Frame {@code i}: its number, and its number again inverted, so that a torn or shuffled frame shows. */
  private static byte[] tinyPayload(int i) {
    return ByteBuffer.allocate(TINY).putLong(i).putLong(~(long) i * 0x9E3779B97F4A7C15L).array();
  }
}
