package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/** Payloads, frames as bytes on the wire, and the comparison of a received frame with the one sent. */
final class Frames {

  static final String[] OPCODE_NAMES = {"continuation", "text", "binary", "opcode 3", "opcode 4", "opcode 5",
      "opcode 6", "opcode 7", "close", "ping", "pong", "opcode 11", "opcode 12", "opcode 13", "opcode 14",
      "opcode 15"};

  private Frames() {
  }

  /** {@code n} random bytes, the same for the same seed. */
  static byte[] binary(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** {@code n} bytes of printable ASCII (valid UTF-8), random so that a shifted or reordered chunk shows. */
  static byte[] ascii(int n, long seed) {
    Random r = new Random(seed);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (0x21 + r.nextInt(0x7e - 0x21));
    }
    return b;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Bytes from hex digits, spaces allowed: {@code "ce ba e1 bd b9"}. */
  static byte[] hex(String digits) {
    return HexFormat.of().parseHex(digits.replace(" ", ""));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** One frame as the sender puts it on the wire: masked when the sender is the client. */
  static byte[] wire(Direction d, boolean fin, int rsv, int opcode, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 14);
    try {
      WsWire.writeFrame(out, fin, rsv, opcode, payload, d.senderMasks());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] wire(Direction d, int opcode, byte[] payload) {
    return wire(d, true, 0, opcode, payload);
  }

  /** Asserts that {@code actual} is the frame sent: FIN, no reserved bits, opcode, payload byte for byte. */
  static void assertFrame(WsFrame actual, boolean fin, int opcode, byte[] payload, String what) {
    assertThat(actual).as("%s: a frame", what).isNotNull();
    assertThat(actual.opcode()).as("%s: opcode of %s", what, describe(actual)).isEqualTo(opcode);
    assertThat(actual.fin()).as("%s: FIN of %s", what, describe(actual)).isEqualTo(fin);
    assertThat(actual.rsv()).as("%s: reserved bits of %s", what, describe(actual)).isZero();
    assertThat(actual.payload().length).as("%s: payload length of %s", what, describe(actual))
        .isEqualTo(payload.length);
    int at = Arrays.mismatch(actual.payload(), payload);
    assertThat(at).as("%s: the first byte of the payload that differs", what).isEqualTo(-1);
  }

  /** A frame in one line, its payload cut short. */
  static String describe(WsFrame f) {
    String name = OPCODE_NAMES[f.opcode() & 0xf];
    if (f.opcode() == WsFrame.CLOSE) {
      return "close " + f.closeCode() + " '" + f.closeReason() + "'";
    }
    int shown = Math.min(f.payload().length, 32);
    String head = f.opcode() == WsFrame.TEXT || f.opcode() == WsFrame.PING || f.opcode() == WsFrame.PONG
        ? "'" + new String(f.payload(), 0, shown, StandardCharsets.UTF_8) + "'"
        : HexFormat.of().formatHex(f.payload(), 0, shown);
    return name + (f.fin() ? "" : " (FIN=0)") + (f.rsv() != 0 ? " RSV=" + f.rsv() : "") + ", "
        + f.payload().length + " bytes " + head + (shown < f.payload().length ? "..." : "");
  }
}
