package dev.wsgate.heartbeat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The heartbeat's ping frame, written as the bytes that go on the wire (RFC 6455, 5.2): a final ping with its
 * {@value HeartbeatHandler#PING_PAYLOAD}-byte payload, masked toward an upstream, where wsgate is the client. The
 * frame encoder lets a {@code ByteBuf} through untouched (as it does the verbatim relay's frames), so a ping is one
 * small buffer: no frame object and payload buffer that the encoder copies into a buffer of its own and releases, a
 * few times a second on every held leg.
 */
final class PingFrame {

  /** FIN and the ping opcode. */
  private static final int FIN_PING = 0x89;
  /** The mask bit of the second byte. */
  private static final int MASKED = 0x80;

  private PingFrame() {
  }

  /**
   * A ping carrying {@code sequence} and {@code sentNanos} (8 bytes each, big-endian), masked when {@code mask}: with a
   * key from {@link ThreadLocalRandom}, as Netty's encoder masks.
   */
  static ByteBuf encode(ByteBufAllocator alloc, boolean mask, long sequence, long sentNanos) {
    if (!mask) {
      return alloc.buffer(2 + HeartbeatHandler.PING_PAYLOAD)
          .writeShort(FIN_PING << 8 | HeartbeatHandler.PING_PAYLOAD)
          .writeLong(sequence).writeLong(sentNanos);
    }
    int key = ThreadLocalRandom.current().nextInt();
    long keys = (key & 0xFFFF_FFFFL) << 32 | (key & 0xFFFF_FFFFL); // byte i of the payload takes byte i % 4 of the key
    return alloc.buffer(6 + HeartbeatHandler.PING_PAYLOAD)
        .writeShort(FIN_PING << 8 | MASKED | HeartbeatHandler.PING_PAYLOAD)
        .writeInt(key)
        .writeLong(sequence ^ keys).writeLong(sentNanos ^ keys);
  }
}
