package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code server.trusted-proxies}' ranges, and the IP literals they and the forwarding headers are read with. */
class AddressRangeTest {

  @ParameterizedTest(name = "{0} holds {1}: {2}")
  @CsvSource({
      "10.0.0.0/8, 10.255.1.2, true",
      "10.0.0.0/8, 11.0.0.0, false",
      "192.0.2.7, 192.0.2.7, true",
      "192.0.2.7, 192.0.2.8, false",
      "172.16.0.0/12, 172.31.255.255, true",
      "172.16.0.0/12, 172.32.0.0, false",
      "0.0.0.0/0, 203.0.113.9, true",
      "0.0.0.0/0, ::1, false",
      "fd00::/8, fd12:3456::1, true",
      "fd00::/8, fe80::1, false",
      "::1, ::1, true",
      "::/0, 10.0.0.1, false",
      "2001:db8::/33, 2001:db8:7fff::1, true",
      "2001:db8::/33, 2001:db8:8000::1, false",
      "127.0.0.0/8, ::ffff:127.0.0.5, true"})
  void containsWhatItsPrefixCovers(String range, String address, boolean expected) {
    AddressRange r = AddressRange.parse(range).range();
    assertThat(r).as(range).isNotNull();
    assertThat(r.contains(IpAddresses.parse(address))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1234", "10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4 ", "localhost",
      "proxy.internal", "fe80::1%eth0", ":::", "1::2::3", "12345::1", "0x7f.0.0.1", "[::1]"})
  void readsNoNameAndNoOtherSpellingOfAnAddress(String text) {
    assertThat(IpAddresses.parse(text)).as("'%s'", text).isNull();
  }

  @ParameterizedTest(name = "{0} is written {1}")
  @CsvSource({
      "192.0.2.7, 192.0.2.7",
      "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
      "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
      "0:0:0:0:0:0:0:0, ::",
      "0:0:0:0:0:0:0:1, ::1",
      "fe80:0:0:0:0:0:0:0, fe80::",
      "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
      "::ffff:192.0.2.1, 192.0.2.1"})
  void writesIpv6AsRfc5952Does(String text, String written) {
    assertThat(IpAddresses.format(IpAddresses.parse(text))).isEqualTo(written);
  }

  @Test
  void aRangeIsWrittenAsItLoadsBack() throws Exception {
    AddressRange r = AddressRange.parse("fd00::/8").range();
    assertThat(r.toString()).isEqualTo("fd00::/8");
    assertThat(AddressRange.parse(r.toString()).range()).isEqualTo(r);
    assertThat(AddressRange.parse("192.0.2.7/32").range().toString()).isEqualTo("192.0.2.7");
    assertThat(AddressRange.parse("192.0.2.7").range())
        .isEqualTo(new AddressRange(InetAddress.getByName("192.0.2.7"), 32));
  }
}
