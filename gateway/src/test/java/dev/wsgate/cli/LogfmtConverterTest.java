package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class LogfmtConverterTest {

  private final LogfmtConverter converter = new LogfmtConverter();

  private static LoggingEvent event(Object... keysAndValues) {
    LoggerContext context = new LoggerContext();
    LoggingEvent e = new LoggingEvent("fqcn", context.getLogger("wsgate.access"), Level.INFO, "session end", null,
        null);
    for (int i = 0; i < keysAndValues.length; i += 2) {
      e.addKeyValuePair(new KeyValuePair((String) keysAndValues[i], keysAndValues[i + 1]));
    }
    return e;
  }

  @Test
  void pairsInOrderOneSpaceApartAndNothingWithoutPairs() {
    assertThat(converter.convert(event("b", "1", "a", 2L, "c", "x"))).isEqualTo("b=1 a=2 c=x");
    assertThat(converter.convert(event())).isEmpty();
  }

  @Test
  void valuesArePlainUnlessASpaceQuoteEqualsControlOrNonAsciiCharacterNeedsQuotes() {
    assertThat(converter.convert(event("v", "/a-b_c:1/x?y.z~\\"))).isEqualTo("v=/a-b_c:1/x?y.z~\\");
    assertThat(converter.convert(event("v", null))).isEqualTo("v=-");
    assertThat(converter.convert(event("v", ""))).isEqualTo("v=\"\"");
    assertThat(converter.convert(event("v", "a b"))).isEqualTo("v=\"a b\"");
    assertThat(converter.convert(event("v", "a=b"))).isEqualTo("v=\"a=b\"");
    assertThat(converter.convert(event("v", "say \"hi\" \\ there"))).isEqualTo("v=\"say \\\"hi\\\" \\\\ there\"");
    assertThat(converter.convert(event("v", "a\tb\nc\rd"))).isEqualTo("v=\"a\\tb\\nc\\rd\"");
    assertThat(converter.convert(event("v", "a\u007fb\u0000"))).isEqualTo("v=\"a\\u007fb\\u0000\"");
    assertThat(converter.convert(event("v", "caf\u00e9"))).isEqualTo("v=\"caf\u00e9\"");
    assertThat(converter.convert(event("v", "\"x\""))).isEqualTo("v=\"\\\"x\\\"\"");
  }

  /** A peer chooses its close reason: it cannot end the access line and forge another. */
  @Test
  void noValueSplitsTheLine() {
    String line = converter.convert(event("close_reason", "bye\n2026-12-01T00:00:00Z ACCESS request_id=forged",
        "end", "client-close"));
    assertThat(line).doesNotContain("\n").doesNotContain("\r")
        .isEqualTo("close_reason=\"bye\\n2026-12-01T00:00:00Z ACCESS request_id=forged\" end=client-close");
  }
}
