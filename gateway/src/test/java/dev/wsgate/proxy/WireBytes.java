package dev.wsgate.proxy;

import java.io.ByteArrayOutputStream;

/** Frames as bytes on the wire (RFC 6455 5.2), for tests of what reads and relays them as they came. */
final class WireBytes {

  private WireBytes() {
  }

  /** A frame with first byte {@code b0}, masked with {@code key} unless it is 0. */
  static byte[] frame(int b0, byte[] payload, int key) {
    return frame(b0, payload, key, key != 0);
  }

  /** A frame with first byte {@code b0}, its length minimally encoded, masked with {@code key} when {@code masked}. */
  static byte[] frame(int b0, byte[] payload, int key, boolean masked) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(b0);
    int m = masked ? 0x80 : 0;
    if (payload.length < 126) {
      out.write(m | payload.length);
    } else if (payload.length < 65536) {
      out.write(m | 126);
      out.write(payload.length >>> 8);
      out.write(payload.length);
    } else {
      out.write(m | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) payload.length >>> shift));
      }
    }
    if (masked) {
      writeKey(out, key);
      out.writeBytes(mask(payload, key));
    } else {
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  static void writeKey(ByteArrayOutputStream out, int key) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.write(key >>> shift);
    }
  }

  /** The payload masked (or unmasked) with {@code key}: byte {@code i} with the key's byte {@code i % 4}. */
  static byte[] mask(byte[] payload, int key) {
    byte[] out = payload.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] ^= (byte) (key >>> (24 - 8 * (i & 3)));
    }
    return out;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
