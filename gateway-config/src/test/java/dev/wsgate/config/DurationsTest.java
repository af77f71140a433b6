package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({"0,0", "500ms,500", "25s,25000", "2m,120000", "1h,3600000", "1m30s,90000", "1.5s,1500",
      "0.5m,30000", "1h2m3s4ms,3723004", "' 25s ',25000"})
  void parses(String text, long millis) {
    assertThat(Durations.parse(text)).contains(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"25", "-5s", "s", "", "5 s", "5sec", "1d", "5S", "1e3s", "9999999999h"})
  void rejects(String text) {
    assertThat(Durations.parse(text)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({"0,0", "500,500ms", "1000,1s", "2500,2.5s", "60000,60s", "90000,90s", "599000,599s", "600000,10m",
      "5400000,1h30m", "3600000,1h", "3601000,1h1s"})
  void formatsAsPeopleWriteIt(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    assertThat(Durations.parse(text)).contains(Duration.ofMillis(millis));
  }

  @Test
  void budgetMargin() {
    assertThat(HeartbeatBudget.margin(Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(5));
    assertThat(HeartbeatBudget.margin(Duration.ofSeconds(25))).isEqualTo(Duration.ofSeconds(5));
    assertThat(HeartbeatBudget.margin(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(2));
    assertThat(HeartbeatBudget.margin(Duration.ofSeconds(3))).isEqualTo(Duration.ofMillis(600));
    assertThat(HeartbeatBudget.limit(Duration.ofSeconds(100))).isEqualTo(Duration.ofSeconds(95));
  }

  @ParameterizedTest
  @CsvSource({"65536,65536", "64KiB,65536", "1MiB,1048576", "1.5MiB,1572864", "1GiB,1073741824", "100B,100"})
  void sizes(String text, long bytes) {
    assertThat(DataSizes.parse(text)).contains(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"64KB", "1m", "-1", "1.5B", "lots", "1 TiB"})
  void rejectsSizes(String text) {
    assertThat(DataSizes.parse(text)).isEmpty();
  }
}
