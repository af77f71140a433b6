package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OriginPolicyTest {

  private final OriginPolicy policy = new OriginPolicy(List.of("https://app.example.com",
      "https://*.trusted.example", "http://localhost:3000"));

  @ParameterizedTest
  @CsvSource({
      "https://app.example.com, true",
      "HTTPS://App.Example.com, true",
      "https://app.example.com:443, false",
      "http://app.example.com, false",
      "https://a.trusted.example, true",
      "https://a.b.trusted.example, true",
      "https://trusted.example, false",
      "https://eviltrusted.example, false",
      "https://a.trusted.example:8443, false",
      "http://localhost:3000, true",
      "http://localhost:3001, false",
      "null, false"})
  void matches(String origin, boolean allowed) {
    assertThat(policy.allows(origin)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @CsvSource({"https://anything, true", "null, true"})
  void emptyListOrStarAllowsAny(String origin, boolean allowed) {
    assertThat(new OriginPolicy(List.of()).allows(origin)).isEqualTo(allowed);
    assertThat(new OriginPolicy(List.of("*")).allows(origin)).isEqualTo(allowed);
  }

  @org.junit.jupiter.api.Test
  void noOriginIsNotABrowserPageAndIsAllowed() {
    assertThat(policy.allows(null)).isTrue();
  }
}
