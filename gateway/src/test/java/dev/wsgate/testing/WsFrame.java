package dev.wsgate.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A WebSocket frame as it was on the wire. */
public record WsFrame(boolean fin, int rsv, int opcode, byte[] payload) {

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  public String text() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** The close code of a close frame, 1005 when it has none. */
  public int closeCode() {
    if (opcode != CLOSE) {
      throw new IllegalStateException("not a close frame: " + this);
    }
    return payload.length >= 2 ? ByteBuffer.wrap(payload, 0, 2).getShort() & 0xffff : 1005;
  }

  public String closeReason() {
    return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WsFrame f && f.fin == fin && f.rsv == rsv && f.opcode == opcode
        && java.util.Arrays.equals(f.payload, payload);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(fin, rsv, opcode, java.util.Arrays.hashCode(payload));
  }

  public boolean isControl() {
    return opcode >= 0x8;
  }

  @Override
  public String toString() {
    String body = opcode == TEXT || opcode == CLOSE && payload.length > 2 ? "'" + (opcode == CLOSE ? closeCode() + " "
        + closeReason() : text()) + "'" : payload.length + " bytes";
    return "WsFrame[fin=" + fin + ", opcode=" + opcode + ", " + body + "]";
  }
}
