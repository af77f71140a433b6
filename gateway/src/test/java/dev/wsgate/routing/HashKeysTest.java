package dev.wsgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HashKey;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HashKeysTest {

  private static Optional<HashKey> key(HashKey.Source source, String name) {
    return Optional.of(new HashKey(source, name));
  }

  @Test
  void aHeaderByNameAnyCaseFirstValue() {
    HttpHeaders h = new DefaultHttpHeaders().add("x-user-id", "u1").add("X-User-Id", "u2");
    assertThat(HashKeys.of(key(HashKey.Source.HEADER, "X-User-Id"), h, null, "10.0.0.1")).isEqualTo("u1");
    assertThat(HashKeys.of(key(HashKey.Source.HEADER, "X-Other"), h, null, "10.0.0.1")).isNull();
    assertThat(HashKeys.of(key(HashKey.Source.HEADER, "X-Empty"), new DefaultHttpHeaders().add("X-Empty", ""),
        null, "10.0.0.1")).as("empty is none").isNull();
  }

  @Test
  void aCookieAcrossSeveralCookieHeaders() {
    HttpHeaders h = new DefaultHttpHeaders().add("cookie", "a=1; theme=dark").add("cookie", "sid=\"s-42\"; x=y");
    assertThat(HashKeys.of(key(HashKey.Source.COOKIE, "sid"), h, null, "ip")).isEqualTo("s-42");
    assertThat(HashKeys.of(key(HashKey.Source.COOKIE, "theme"), h, null, "ip")).isEqualTo("dark");
    assertThat(HashKeys.of(key(HashKey.Source.COOKIE, "the"), h, null, "ip")).isNull();
    assertThat(HashKeys.of(key(HashKey.Source.COOKIE, "sid"), new DefaultHttpHeaders(), null, "ip")).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "room=42|room|42",
      "a=1&room=lobby%20b&room=2|room|lobby b",
      "rooms=1&room=x+y|room|x y",
      "room|room|NULL",
      "room=|room|NULL",
      "aroom=1|room|NULL",
      "NULL|room|NULL",
      "''|room|NULL"})
  void aQueryParameter(String query, String name, String expected) {
    assertThat(HashKeys.of(key(HashKey.Source.QUERY, name), new DefaultHttpHeaders(), query, "ip"))
        .isEqualTo(expected);
  }

  @Test
  void theClientAddress() {
    assertThat(HashKeys.of(key(HashKey.Source.CLIENT_ADDRESS, ""), new DefaultHttpHeaders(), null, "2001:db8::1"))
        .isEqualTo("2001:db8::1");
  }

  @Test
  void noKeyWhenTheRouteDoesNotHash() {
    assertThat(HashKeys.of(Optional.empty(), new DefaultHttpHeaders().add("X", "1"), "a=1", "ip")).isNull();
  }

  @Test
  void cookieParsingToleratesOddHeaders() {
    assertThat(HashKeys.cookie(List.of(";;", "=x; sid", "sid=ok"), "sid")).isEqualTo("ok");
  }
}
