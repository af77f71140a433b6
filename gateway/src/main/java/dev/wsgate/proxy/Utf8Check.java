package dev.wsgate.proxy;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * UTF-8 validation of text as it streams, fragment by fragment (RFC 6455, 8.1), as a state carried from one
 * fragment to the next in an {@code int} of the relay's (no object a leg). Bjoern Hoehrmann's DFA, the one Netty's
 * {@code Utf8Validator} uses, with eight ASCII bytes taken at a time while no sequence is open. A message is valid
 * when every fragment leaves the state other than {@link #REJECT} and its last one leaves {@link #ACCEPT}; a fragment
 * that makes it invalid is caught at once, not at the message's end.
 */
final class Utf8Check {

  /** Between characters: where valid text starts and must end. */
  static final int ACCEPT = 0;
  /** Invalid: no later byte can make the text valid. */
  static final int REJECT = 12;

  private static final long HIGH_BITS = 0x8080808080808080L;

  private static final byte[] TYPES = {
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
      7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
      8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
      10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};

  private static final byte[] STATES = {
      0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
      12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,
      12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,
      12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
      12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12};

  private Utf8Check() {
  }

  /**
   * Runs the readable bytes of {@code text} through the DFA from {@code state} (not changing the buffer).
   *
   * @return the state after them: {@link #REJECT} as soon as a byte makes the text invalid
   */
  static int scan(int state, ByteBuf text) {
    return scanMasked(state, text, text.readerIndex(), text.readableBytes(), 0);
  }

  /**
   * Runs {@code length} bytes of {@code frame} from {@code index} through the DFA from {@code state}, each first
   * unmasked with the key {@code mask} (RFC 6455 5.3: the payload's byte {@code k} with the key's byte {@code k % 4}),
   * the buffer unchanged; a {@code mask} of 0 leaves them as they are. The bytes are read through the buffer's NIO
   * view ({@code internalNioBuffer}: no copy, no object), not a call on the {@code ByteBuf} per byte: with Netty's
   * leak detection at its paranoid level every such call records a stack trace, which made a 1 MiB text frame take
   * seconds.
   *
   * @return the state after them: {@link #REJECT} as soon as a byte makes the text invalid
   */
  static int scanMasked(int state, ByteBuf frame, int index, int length, int mask) {
    if (length == 0) {
      return state;
    }
    if (frame.nioBufferCount() == 1) {
      ByteBuffer view = frame.internalNioBuffer(index, length);
      return scan(state, view, view.position(), view.position() + length, mask, 0);
    }
    int offset = 0; // of the part in the payload, for the key's phase
    for (ByteBuffer part : frame.nioBuffers(index, length)) { // a composite buffer: rare
      state = scan(state, part, part.position(), part.limit(), mask, offset);
      if (state == REJECT) {
        return REJECT;
      }
      offset += part.remaining();
    }
    return state;
  }

  /** The DFA over {@code text} from {@code from} to {@code end}, the payload's byte {@code offset} at {@code from}. */
  private static int scan(int state, ByteBuffer text, int from, int end, int mask, int offset) {
    long longMask = (mask & 0xFFFFFFFFL) | ((mask & 0xFFFFFFFFL) << 32);
    boolean bigEndian = text.order() == ByteOrder.BIG_ENDIAN;
    int i = from;
    while (i < end) {
      int k = offset + i - from;
      long keys = Long.rotateLeft(longMask, 8 * (k & 3)); // the key's bytes for the eight from i, in order
      if (state == ACCEPT && end - i >= Long.BYTES
          && ((text.getLong(i) ^ (bigEndian ? keys : Long.reverseBytes(keys))) & HIGH_BITS) == 0) {
        i += Long.BYTES; // eight ASCII characters
        continue;
      }
      state = STATES[state + TYPES[(text.get(i++) ^ (mask >>> (24 - 8 * (k & 3)))) & 0xFF]];
      if (state == REJECT) {
        return REJECT;
      }
    }
    return state;
  }

  /** True when {@code text} is, on its own, complete valid UTF-8. */
  static boolean valid(ByteBuf text) {
    return scan(ACCEPT, text) == ACCEPT;
  }
}
