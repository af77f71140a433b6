package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8CheckTest {

  /** The JDK's decoder, reporting malformed input: the reference. */
  private static boolean jdkValid(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** The check over {@code bytes} cut in two at {@code cut}, as two fragments. */
  private static boolean validInTwo(byte[] bytes, int cut) {
    ByteBuf first = Unpooled.wrappedBuffer(bytes, 0, cut);
    ByteBuf second = Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut);
    int state = Utf8Check.scan(Utf8Check.ACCEPT, first);
    if (state == Utf8Check.REJECT) {
      return false;
    }
    return Utf8Check.scan(state, second) == Utf8Check.ACCEPT;
  }

  @Test
  void agreesWithTheJdkOnRandomBytesCutAnywhere() {
    Random random = new Random(42);
    int invalid = 0;
    for (int n = 0; n < 20_000; n++) {
      byte[] bytes = randomText(random);
      boolean expected = jdkValid(bytes);
      invalid += expected ? 0 : 1;
      assertThat(Utf8Check.valid(Unpooled.wrappedBuffer(bytes))).as("%s", hex(bytes)).isEqualTo(expected);
      for (int cut = 0; cut <= bytes.length; cut++) {
        assertThat(validInTwo(bytes, cut)).as("%s cut at %d", hex(bytes), cut).isEqualTo(expected);
      }
    }
    assertThat(invalid).as("the samples hold invalid text too").isBetween(1_000, 19_000);
  }

  @Test
  void knownCases() {
    assertThat(valid("")).isTrue();
    assertThat(valid("plain ASCII, longer than eight bytes")).isTrue();
    assertThat(valid("κόσμε, 𝄞, \uFFFF, \uDBFF\uDFFF")).isTrue();
    assertThat(Utf8Check.valid(bytes(0xC0, 0xAF))).as("overlong /").isFalse();
    assertThat(Utf8Check.valid(bytes(0xED, 0xA0, 0x80))).as("a surrogate").isFalse();
    assertThat(Utf8Check.valid(bytes(0xF4, 0x90, 0x80, 0x80))).as("past U+10FFFF").isFalse();
    assertThat(Utf8Check.valid(bytes(0x80))).as("a stray continuation byte").isFalse();
    assertThat(Utf8Check.scan(Utf8Check.ACCEPT, bytes(0xE2, 0x82)))
        .as("a sequence cut at the end is open, not rejected").isNotIn(Utf8Check.ACCEPT, Utf8Check.REJECT);
    assertThat(Utf8Check.scan(Utf8Check.ACCEPT, bytes('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0xFF, 'i')))
        .as("rejected at the byte that breaks it, after eight ASCII ones").isEqualTo(Utf8Check.REJECT);
  }

  @Test
  void readsOnlyTheReadableBytesAndLeavesTheBufferAsItWas() {
    ByteBuf buf = Unpooled.buffer();
    buf.writeByte(0xFF).writeBytes("ok".getBytes(StandardCharsets.UTF_8));
    buf.readerIndex(1);
    assertThat(Utf8Check.valid(buf)).isTrue();
    assertThat(buf.readerIndex()).isEqualTo(1);
  }

  @Test
  void directAndCompositeBuffersAsHeapOnes() {
    byte[] text = "ascii first, then κόσμε and 𝄞, and ascii again".getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= text.length; cut++) {
      ByteBuf direct = Unpooled.directBuffer(text.length).writeBytes(text);
      ByteBuf composite = Unpooled.wrappedBuffer(Unpooled.directBuffer().writeBytes(text, 0, cut),
          Unpooled.copiedBuffer(text, cut, text.length - cut)); // a copy: the test breaks its last byte
      try {
        assertThat(Utf8Check.valid(direct)).isTrue();
        assertThat(Utf8Check.valid(composite)).as("a composite cut at %d", cut).isTrue();
        composite.setByte(composite.readableBytes() - 1, 0xFF);
        assertThat(Utf8Check.valid(composite)).as("a composite cut at %d, its last byte broken", cut).isFalse();
      } finally {
        direct.release();
        composite.release();
      }
    }
  }

  @Test
  void maskedTextReadsAsItsUnmaskedBytesWhereverTheBufferIsCut() {
    Random random = new Random(5);
    for (int n = 0; n < 2_000; n++) {
      byte[] text = randomText(random);
      int key = random.nextInt();
      byte[] masked = WireBytes.mask(text, key);
      int expected = Utf8Check.scan(Utf8Check.ACCEPT, Unpooled.wrappedBuffer(text));
      int cut = text.length == 0 ? 0 : random.nextInt(text.length + 1);
      ByteBuf composite = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(masked, 0, cut),
          Unpooled.wrappedBuffer(masked, cut, masked.length - cut));
      ByteBuf framed = Unpooled.wrappedBuffer(WireBytes.concat(new byte[3], masked)); // the payload at index 3
      assertThat(Utf8Check.scanMasked(Utf8Check.ACCEPT, composite, 0, masked.length, key))
          .as("%s masked with %08x, a composite cut at %d", hex(text), key, cut).isEqualTo(expected);
      assertThat(Utf8Check.scanMasked(Utf8Check.ACCEPT, framed, 3, masked.length, key))
          .as("%s masked with %08x", hex(text), key).isEqualTo(expected);
    }
  }

  private static boolean valid(String s) {
    return Utf8Check.valid(Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8)));
  }

  private static ByteBuf bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return Unpooled.wrappedBuffer(b);
  }

  /** Mostly valid text of every width, with now and then a random byte in it. */
  private static byte[] randomText(Random random) {
    StringBuilder sb = new StringBuilder();
    int chars = random.nextInt(12);
    for (int i = 0; i < chars; i++) {
      int kind = random.nextInt(4);
      int cp = switch (kind) {
        case 0 -> random.nextInt(0x80);
        case 1 -> 0x80 + random.nextInt(0x800 - 0x80);
        case 2 -> 0xE000 + random.nextInt(0x10000 - 0xE000);
        default -> 0x10000 + random.nextInt(0x110000 - 0x10000);
      };
      sb.appendCodePoint(cp);
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    if (bytes.length > 0 && random.nextInt(3) == 0) {
      bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
    }
    return bytes;
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("%02x ", b));
    }
    return sb.toString().trim();
  }
}
