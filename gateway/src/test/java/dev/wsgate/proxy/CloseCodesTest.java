package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CloseCodesTest {

  @ParameterizedTest
  @ValueSource(ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999})
  void sendableCodesPassThroughBothWays(int code) {
    assertThat(CloseCodes.relay(code, "r", Leg.CLIENT)).isEqualTo(new CloseCodes.Close(code, "r"));
    assertThat(CloseCodes.relay(code, "r", Leg.UPSTREAM)).isEqualTo(new CloseCodes.Close(code, "r"));
  }

  @Test
  void codesThatMayNotTravelAreMapped() {
    assertThat(CloseCodes.relay(1005, "", Leg.UPSTREAM)).isEqualTo(CloseCodes.Close.EMPTY);
    assertThat(CloseCodes.relay(1006, "", Leg.CLIENT)).isEqualTo(new CloseCodes.Close(1014, CloseCodes.UPSTREAM_GONE));
    assertThat(CloseCodes.relay(1006, "", Leg.UPSTREAM)).isEqualTo(new CloseCodes.Close(1001, CloseCodes.CLIENT_GONE));
    assertThat(CloseCodes.relay(1015, "", Leg.CLIENT).code()).isEqualTo(1014);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
  void unsendable(int code) {
    assertThat(CloseCodes.sendable(code)).isFalse();
  }

  @Test
  void reasonsAreCutToACloseFrameWithoutSplittingACharacter() {
    assertThat(new CloseCodes.Close(1000, "x".repeat(200)).trimmedReason()).hasSize(123);
    String euro = "€".repeat(50); // 3 bytes each: 41 fit in 123 bytes
    assertThat(new CloseCodes.Close(1000, euro).trimmedReason()).isEqualTo("€".repeat(41));
  }
}
