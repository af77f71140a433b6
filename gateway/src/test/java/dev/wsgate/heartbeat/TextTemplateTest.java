package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TextTemplateTest {

  private final TextTemplate ping = new TextTemplate("{\"type\":\"ping\"}");
  private final TextTemplate pong = new TextTemplate("{\"type\":\"pong\"}");

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"ping\"}                         | true",
      "{ \"type\" : \"ping\", \"timestamp\": 17 }   | true",
      "{\"type\":\"pong\"}                         | false",
      "{\"type\":\"PING\"}                         | false",
      "{\"kind\":\"ping\"}                         | false",
      "[\"type\",\"ping\"]                         | false",
      "ping                                        | false",
      "{\"type\":\"ping\"                          | false"})
  void jsonTemplatesMatchObjectsWithTheirFields(String message, boolean matches) {
    assertThat(ping.matches(message)).isEqualTo(matches);
  }

  @Test
  void plainTemplatesMatchExactly() {
    TextTemplate p = new TextTemplate("ping");
    assertThat(p.matches("ping")).isTrue();
    assertThat(p.matches("ping ")).isFalse();
    assertThat(p.answer("ping", new TextTemplate("pong"))).isEqualTo("pong");
  }

  @Test
  void answerEchoesTheOtherFieldsAsWritten() {
    assertThat(ping.answer("{\"type\":\"ping\",\"timestamp\":1700000000.25,\"id\":\"a\"}", pong))
        .isEqualTo("{\"type\":\"pong\",\"timestamp\":1700000000.25,\"id\":\"a\"}");
    assertThat(ping.answer("{\"type\":\"ping\",\"timestamp\":12.5}", pong))
        .isEqualTo("{\"type\":\"pong\",\"timestamp\":12.5}");
    // Numbers a double would rewrite (1.234567812345679E7, 1.0E-4) come back digit for digit.
    assertThat(ping.answer("{\"type\":\"ping\",\"t\":12345678.123456789,\"u\":0.0001,\"n\":17}", pong))
        .isEqualTo("{\"type\":\"pong\",\"t\":12345678.123456789,\"u\":0.0001,\"n\":17}");
  }

  @Test
  void longTextIsNotLookedAt() {
    String big = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(TextTemplate.MAX_LENGTH) + "\"}";
    assertThat(ping.matches(big)).isFalse();
  }
}
