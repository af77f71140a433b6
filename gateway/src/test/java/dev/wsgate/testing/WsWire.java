package dev.wsgate.testing;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** RFC 6455 framing and HTTP/1.1 heads, by hand, for tests that need byte-level control. */
public final class WsWire {

  private WsWire() {
  }

  /** Writes one frame; {@code mask} as a client must, not as a server. */
  public static void writeFrame(OutputStream out, boolean fin, int rsv, int opcode, byte[] payload, boolean mask)
      throws IOException {
    ByteBuffer head = ByteBuffer.allocate(14);
    head.put((byte) ((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | (opcode & 0xf)));
    int maskBit = mask ? 0x80 : 0;
    if (payload.length < 126) {
      head.put((byte) (maskBit | payload.length));
    } else if (payload.length <= 0xffff) {
      head.put((byte) (maskBit | 126));
      head.putShort((short) payload.length);
    } else {
      head.put((byte) (maskBit | 127));
      head.putLong(payload.length);
    }
    byte[] body = payload;
    if (mask) {
      byte[] key = new byte[4];
      ThreadLocalRandom.current().nextBytes(key);
      head.put(key);
      body = new byte[payload.length];
      for (int i = 0; i < payload.length; i++) {
        body[i] = (byte) (payload[i] ^ key[i & 3]);
      }
    }
    out.write(head.array(), 0, head.position());
    out.write(body);
    out.flush();
  }

  /** Reads one frame, unmasking it if it is masked. */
  public static WsFrame readFrame(InputStream in) throws IOException {
    DataInputStream d = new DataInputStream(in);
    int b0 = d.read();
    if (b0 < 0) {
      throw new EOFException("connection closed");
    }
    int b1 = d.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) {
      len = d.readUnsignedShort();
    } else if (len == 127) {
      len = d.readLong();
    }
    byte[] key = null;
    if ((b1 & 0x80) != 0) {
      key = new byte[4];
      d.readFully(key);
    }
    if (len > Integer.MAX_VALUE - 8) {
      throw new IOException("frame too long for a test: " + len);
    }
    byte[] payload = new byte[(int) len];
    d.readFully(payload);
    if (key != null) {
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= key[i & 3];
      }
    }
    return new WsFrame((b0 & 0x80) != 0, (b0 >> 4) & 0x7, b0 & 0xf, payload);
  }

  /** The payload of a close frame. */
  public static byte[] closePayload(int code, String reason) {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(2 + r.length);
    b.putShort((short) code);
    b.put(r);
    return b.array();
  }

  /** The {@code Sec-WebSocket-Accept} for a key. */
  public static String accept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] digest = sha1.digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String newKey() {
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    return Base64.getEncoder().encodeToString(nonce);
  }

  /** An HTTP/1.1 message head: the start line and the headers (names in lower case). */
  public record Head(String startLine, Map<String, String> headers) {
    public int status() {
      String[] parts = startLine.split(" ", 3);
      return Integer.parseInt(parts[1]);
    }

    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Reads an HTTP head up to the empty line, byte by byte so that nothing after it is consumed. */
  public static Head readHead(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    String start = null;
    Map<String, String> headers = new LinkedHashMap<>();
    int total = 0;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed in the HTTP head after: " + start + " " + headers);
      }
      if (++total > 65_536) {
        throw new IOException("HTTP head too long");
      }
      if (c == '\n') {
        String l = line.toString().stripTrailing();
        line.setLength(0);
        if (l.isEmpty()) {
          return new Head(start, headers);
        }
        if (start == null) {
          start = l;
        } else {
          int colon = l.indexOf(':');
          String name = l.substring(0, colon).strip().toLowerCase(Locale.ROOT);
          String value = l.substring(colon + 1).strip();
          headers.merge(name, value, (a, b) -> a + ", " + b);
        }
      } else {
        line.append((char) c);
      }
    }
  }
}
