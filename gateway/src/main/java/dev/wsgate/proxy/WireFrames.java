package dev.wsgate.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Frames as bytes on the wire (RFC 6455 5.2): the opcodes, unmasking, and the headers of data frames relayed
 * verbatim: a run of whole frames as they came off the wire, headers and payloads (still masked when a client sent
 * them), which {@link WireFrameDecoder} hands on as one {@code ByteBuf} and the other leg writes as it is. Each read
 * takes a frame's first bytes again, at its index {@code at} in the run (no object a frame); the decoder has checked
 * them.
 */
final class WireFrames {

  static final int OPCODE_CONT = 0x0;
  static final int OPCODE_TEXT = 0x1;
  static final int OPCODE_BINARY = 0x2;
  static final int OPCODE_CLOSE = 0x8;
  static final int OPCODE_PING = 0x9;
  static final int OPCODE_PONG = 0xA;

  private WireFrames() {
  }

  static boolean fin(ByteBuf run, int at) {
    return (run.getByte(at) & 0x80) != 0;
  }

  /** The reserved bits, as {@code WebSocketFrame.rsv()} gives them: RSV1 is 4. */
  static int rsv(ByteBuf run, int at) {
    return (run.getByte(at) & 0x70) >> 4;
  }

  static int opcode(ByteBuf run, int at) {
    return run.getByte(at) & 0x0F;
  }

  /** The header's length: 2 bytes, the extended length's 2 or 8, the masking key's 4. */
  static int headerLength(ByteBuf run, int at) {
    int b1 = run.getByte(at + 1);
    int header = unmaskedHeaderLength(b1 & 0x7F);
    return (b1 & 0x80) != 0 ? header + 4 : header;
  }

  /** The header's length up to the masking key, from the 7-bit length of its second byte: 126 and 127 extend it. */
  static int unmaskedHeaderLength(int len1) {
    return len1 == 126 ? 4 : len1 == 127 ? 10 : 2;
  }

  /** The payload's length (at most {@code max-frame-size}, an {@code int}). */
  static int payloadLength(ByteBuf run, int at) {
    int len1 = run.getByte(at + 1) & 0x7F;
    return len1 == 126 ? run.getUnsignedShort(at + 2) : len1 == 127 ? (int) run.getLong(at + 2) : len1;
  }

  /**
   * Runs a text frame's payload through the UTF-8 check from {@code state}, unmasking on the way, the frame
   * unchanged.
   */
  static int scanText(int state, ByteBuf run, int at) {
    int header = headerLength(run, at);
    boolean masked = (run.getByte(at + 1) & 0x80) != 0;
    int mask = masked ? run.getInt(at + header - 4) : 0;
    return Utf8Check.scanMasked(state, run, at + header, payloadLength(run, at), mask);
  }

  /** Unmasks a payload in place, eight bytes at a time, as Netty's decoder does. */
  static void unmask(ByteBuf payload, int mask) {
    if (mask == 0) {
      return;
    }
    int i = payload.readerIndex();
    int end = payload.writerIndex();
    long longMask = (mask & 0xFFFFFFFFL) | ((mask & 0xFFFFFFFFL) << 32);
    for (int lim = end - 7; i < lim; i += 8) {
      payload.setLong(i, payload.getLong(i) ^ longMask);
    }
    for (int k = 0; i < end; i++, k++) {
      payload.setByte(i, payload.getByte(i) ^ (mask >>> (24 - 8 * (k & 3)))); // the key's bytes, first to last
    }
  }
}
