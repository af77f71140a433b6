package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Released;
import dev.wsgate.testing.WsFrame;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autobahn 6.x, UTF-8 (the cases follow Markus Kuhn's UTF-8 decoder test, as Autobahn's do): valid text is relayed
 * intact, however it is split into fragments, even inside a character; text that is not UTF-8 fails the sender with
 * 1007 (1001 or 1014 to the other leg). wsgate checks text as it streams (README, "Close codes"): fail-fast, a
 * fragmented text fails at the fragment where it becomes invalid, after the fragments before it were relayed.
 */
@ExtendWith(NamedFailures.class)
class Utf8ConformanceIT {

  /** "κόσμε", Greek for "world", the text of Kuhn's test and Autobahn's. */
  private static final String KOSME = "ce ba e1 bd b9 cf 83 ce bc ce b5";

  @RegisterExtension
  static final Rig rig = Rig.withDefaults();

  // ------------------------------------------------------------------------------------------------ valid

  static Stream<Arguments> valid() {
    byte[] hello = Frames.utf8("Hello-µ@ßöäüàá-UTF-8!!");
    byte[] kosme = Frames.hex(KOSME);
    return Stream.of(
        Cases.bothWays("6.1.1 empty text", List.of(new byte[0])),
        Cases.bothWays("6.1.2 empty text in 3 empty fragments", List.of(new byte[0], new byte[0], new byte[0])),
        Cases.bothWays("6.1.3 text in 3 fragments, the first and last empty",
            List.of(new byte[0], Frames.utf8("middle"), new byte[0])),
        Cases.bothWays("6.2.1 'Hello-µ@ßöäüàá-UTF-8!!'", List.of(hello)),
        Cases.bothWays("6.2.2 'Hello-µ@ßöäüàá-UTF-8!!' in 2 fragments at a character boundary",
            List.of(Arrays.copyOf(hello, 7), Arrays.copyOfRange(hello, 7, hello.length))),
        Cases.bothWays("6.2.3 'Hello-µ@ßöäüàá-UTF-8!!' in 1-byte fragments", bytewise(hello)),
        Cases.bothWays("6.2.4 'κόσμε' in 1-byte fragments", bytewise(kosme)),
        Cases.bothWays("6.5.1 'κόσμε'", List.of(kosme)),
        Cases.bothWays("6.7.1 U+0000", List.of(Frames.hex("00"))),
        Cases.bothWays("6.7.2 U+0080", List.of(Frames.hex("c2 80"))),
        Cases.bothWays("6.7.3 U+0800", List.of(Frames.hex("e0 a0 80"))),
        Cases.bothWays("6.7.4 U+10000", List.of(Frames.hex("f0 90 80 80"))),
        Cases.bothWays("6.9.1 U+007F", List.of(Frames.hex("7f"))),
        Cases.bothWays("6.9.2 U+07FF", List.of(Frames.hex("df bf"))),
        Cases.bothWays("6.9.3 U+FFFF", List.of(Frames.hex("ef bf bf"))),
        Cases.bothWays("6.9.4 U+10FFFF", List.of(Frames.hex("f4 8f bf bf"))),
        Cases.bothWays("6.11.1 U+D7FF", List.of(Frames.hex("ed 9f bf"))),
        Cases.bothWays("6.11.2 U+E000", List.of(Frames.hex("ee 80 80"))),
        Cases.bothWays("6.11.3 U+FFFD", List.of(Frames.hex("ef bf bd"))),
        Cases.bothWays("6.22.1 U+FFFE (a noncharacter, valid UTF-8)", List.of(Frames.hex("ef bf be"))),
        Cases.bothWays("6.22.34 U+10FFFE (a noncharacter, valid UTF-8)", List.of(Frames.hex("f4 8f bf be"))),
        Cases.bothWays("6.x (wsgate) 2-, 3- and 4-byte characters and U+10FFFF in 1-byte fragments",
            bytewise(Frames.utf8("aß€\uD83D\uDE00\uDBFF\uDFFFz"))))
        .flatMap(s -> s);
  }

  private static List<byte[]> bytewise(byte[] text) {
    List<byte[]> fragments = new ArrayList<>();
    for (byte b : text) {
      fragments.add(new byte[] {b});
    }
    return fragments;
  }

  /**
   * @param fragments the text's fragments; one is an unfragmented text
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("valid")
  void validTextIsRelayedIntact(Direction d, List<byte[]> fragments) throws Exception {
    try (Proxied s = rig.open()) {
      s.write(d, message(d, fragments, true));
      expectRelayed(s, d, fragments, fragments.size(), true);
      s.assertQuiet(d, d + ": the text relayed once");
      s.closeCleanly();
    }
  }

  static Stream<Arguments> everySplit() {
    return Cases.bothWays("6.x (wsgate) 'aß€😀' + U+10FFFF + 'z' in 2 fragments, split at every byte");
  }

  /** The same text split in two at each of its byte boundaries, most of them inside a character, in one session. */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("everySplit")
  void validTextSplitAtEveryByteIsRelayedIntact(Direction d) throws Exception {
    byte[] text = Frames.utf8("aß€\uD83D\uDE00\uDBFF\uDFFFz");
    try (Proxied s = rig.open()) {
      for (int at = 1; at < text.length; at++) {
        List<byte[]> fragments = List.of(Arrays.copyOf(text, at), Arrays.copyOfRange(text, at, text.length));
        s.write(d, message(d, fragments, true));
        expectRelayed(s, d, fragments, 2, true);
      }
      s.assertQuiet(d, d + ": every split relayed once");
      s.closeCleanly();
    }
  }

  // ------------------------------------------------------------------------------------------------ invalid

  static Stream<Arguments> invalid() {
    return Stream.of(
        Cases.bothWays("6.3.1 'κόσμε' + U+D800 + 'edited'", KOSME + " ed a0 80 65 64 69 74 65 64"),
        Cases.bothWays("6.6.1 a 2-byte sequence cut at the end of the text", "ce"),
        Cases.bothWays("6.8.1 a 5-byte sequence", "f8 88 80 80 80"),
        Cases.bothWays("6.11.5 U+110000, beyond U+10FFFF", "f4 90 80 80"),
        Cases.bothWays("6.12.1 a lone continuation byte", "80"),
        Cases.bothWays("6.16.1 an impossible byte", "fe"),
        Cases.bothWays("6.17.1 '/' in an overlong 2-byte encoding", "c0 af"),
        Cases.bothWays("6.20.1 the surrogate U+D800", "ed a0 80"),
        Cases.bothWays("6.20.7 the surrogate U+DFFF", "ed bf bf"),
        Cases.bothWays("6.21.1 the surrogate pair U+D800 U+DC00", "ed a0 80 ed b0 80"))
        .flatMap(s -> s);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("invalid")
  void invalidTextFailsTheSender(Direction d, String hex) throws Exception {
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1007);
      s.from(d).send(true, WsFrame.TEXT, Frames.hex(hex));
      failure.senderClosed(s);
    }
    before.assertBack();
  }

  static Stream<Arguments> failFast() {
    byte[] kosme = Frames.hex(KOSME);
    byte[] edited = Frames.utf8("edited");
    return Stream.of(
        Cases.bothWays("6.4.1 'κόσμε', then U+110000, then 'edited', in 3 fragments: fails at the 2nd",
            List.of(kosme, Frames.hex("f4 90 80 80"), edited), false),
        Cases.bothWays("6.4.2 'κόσμε' + f4, then 90, then 80 80 + 'edited', in 3 fragments: fails at the 2nd",
            List.of(Frames.concat(kosme, Frames.hex("f4")), Frames.hex("90"),
                Frames.concat(Frames.hex("80 80"), edited)), false),
        Cases.bothWays("6.x (wsgate) 'κόσμ' + ce, then an empty last fragment: fails at the end of the text",
            List.of(Frames.hex("ce ba e1 bd b9 cf 83 ce bc ce"), new byte[0]), true))
        .flatMap(s -> s);
  }

  /**
   * Sends the fragments up to the one that makes the text invalid, and no further: the failure must come then, not
   * at the end of the message.
   *
   * @param fragments       the fragments of the text; the last one sent is the one that makes it invalid, so that
   *                        those after it are not sent
   * @param invalidAtTheEnd the text becomes invalid only when it ends: the invalid fragment is the last (FIN=1)
   */
  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("failFast")
  void invalidTextFailsAtTheFragmentWhereItBecomesInvalid(Direction d, List<byte[]> fragments,
      boolean invalidAtTheEnd) throws Exception {
    int invalid = invalidAtTheEnd ? fragments.size() - 1 : 1;
    List<byte[]> sent = fragments.subList(0, invalid + 1);
    Released before = Released.from(rig.idle());
    try (Proxied s = rig.open()) {
      Failure failure = Failure.expect(rig, d, 1007);
      s.write(d, message(d, sent, invalidAtTheEnd));
      expectRelayed(s, d, sent, invalid, invalidAtTheEnd);
      failure.senderClosed(s);
    }
    before.assertBack();
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** The fragments as a text message on the wire: text, then continuations, FIN on the last when {@code ends}. */
  private static byte[] message(Direction d, List<byte[]> fragments, boolean ends) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < fragments.size(); i++) {
      boolean fin = ends && i == fragments.size() - 1;
      out.writeBytes(Frames.wire(d, fin, 0, i == 0 ? WsFrame.TEXT : WsFrame.CONTINUATION, fragments.get(i)));
    }
    return out.toByteArray();
  }

  /** The first {@code n} fragments arrive at the receiver as they were sent. */
  private static void expectRelayed(Proxied s, Direction d, List<byte[]> fragments, int n, boolean ends)
      throws Exception {
    for (int i = 0; i < n; i++) {
      Next next = Next.of(s.to(d));
      assertThat(next.frame()).as("%s: fragment %d, got %s", d, i, next).isNotNull();
      boolean fin = ends && i == fragments.size() - 1;
      Frames.assertFrame(next.frame(), fin, i == 0 ? WsFrame.TEXT : WsFrame.CONTINUATION, fragments.get(i),
          d + ": fragment " + i);
    }
  }
}
