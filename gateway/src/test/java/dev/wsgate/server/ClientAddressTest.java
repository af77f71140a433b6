package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.AddressRange;
import dev.wsgate.config.ClientAddressHeader;
import dev.wsgate.config.IpAddresses;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The walk of {@code server.trusted-proxies}: from a trusted peer, the right-most untrusted entry of the header is
 * the client; from anyone else the header is not believed.
 */
class ClientAddressTest {

  private static final List<AddressRange> TRUSTED = List.of(range("10.0.0.0/8"), range("fd00::/8"),
      range("127.0.0.1"));
  private static final ClientAddress TRUSTED_PEER = new ClientAddress("10.0.0.1", 40000);

  @ParameterizedTest(name = "X-Forwarded-For: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "203.0.113.7                              | 203.0.113.7",
      "203.0.113.7, 10.0.0.2                    | 203.0.113.7",
      "'203.0.113.7 ,  ,,   10.0.0.2'            | 203.0.113.7",
      "198.51.100.1, 203.0.113.7, 10.0.0.2      | 203.0.113.7",
      "10.0.0.3, 10.0.0.2                       | 10.0.0.3",
      "203.0.113.7:5555, 10.0.0.2               | 203.0.113.7:5555",
      "'[2001:db8::1]:443'                      | [2001:db8::1]:443",
      "2001:DB8:0:0:0:0:0:1, fd00::2            | 2001:db8::1",
      "::ffff:203.0.113.7                       | 203.0.113.7",
      "203.0.113.7, garbage, 10.0.0.2           | 10.0.0.2",
      "203.0.113.7, unknown                     | 10.0.0.1:40000",
      "203.0.113.7, 203.0.113.300               | 10.0.0.1:40000",
      "203.0.113.7, 010.0.0.2                   | 10.0.0.1:40000",
      "'203.0.113.7, example.com'               | 10.0.0.1:40000",
      "'<script>'                               | 10.0.0.1:40000"})
  void fromATrustedPeerTheRightMostUntrustedEntryOfXForwardedFor(String xff, String client) {
    HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", xff);
    assertThat(walk(TRUSTED_PEER, h, ClientAddressHeader.X_FORWARDED_FOR)).isEqualTo(client);
  }

  @ParameterizedTest(name = "Forwarded: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "for=192.0.2.60;proto=http;by=203.0.113.43                      | 192.0.2.60",
      "'for=192.0.2.60, for=\"[2001:db8:cafe::17]:4711\"'              | [2001:db8:cafe::17]:4711",
      "'for=\"[2001:db8:cafe::17]\", for=10.0.0.2'                     | 2001:db8:cafe::17",
      "'For=\"192.0.2.43:47011\";Proto=https'                          | 192.0.2.43:47011",
      "'for=192.0.2.43, for=\"[fd00::7]:8080\";by=\"[fd00::1]\"'        | 192.0.2.43",
      "'for=192.0.2.43, for=\"_hidden\", for=10.0.0.2'                 | 10.0.0.2",
      "'for=192.0.2.43, for=\"_hidden:_port\"'                         | 10.0.0.1:40000",
      "for=unknown                                                    | 10.0.0.1:40000",
      "'for=\"192.0.2.43:_abc\"'                                       | 192.0.2.43",
      "'for=192.0.2.43, proto=https'                                  | 10.0.0.1:40000",
      "'by=\"a;b,c\";for=192.0.2.43'                                   | 192.0.2.43",
      "'for=\"192.0.2.43'                                             | 10.0.0.1:40000",
      "'for=192.0.2.1, for=10.0.0.3 , for=10.0.0.2'                   | 192.0.2.1",
      "'for=10.0.0.9, for=10.0.0.3'                                   | 10.0.0.9"})
  void fromATrustedPeerTheRightMostUntrustedForOfForwarded(String forwarded, String client) {
    HttpHeaders h = new DefaultHttpHeaders().add("Forwarded", forwarded);
    assertThat(walk(TRUSTED_PEER, h, ClientAddressHeader.FORWARDED)).isEqualTo(client);
  }

  @Test
  void everyLineOfTheHeaderInOrder() {
    HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "203.0.113.7").add("X-Forwarded-For",
        "10.0.0.3, 10.0.0.2");
    assertThat(walk(TRUSTED_PEER, h, ClientAddressHeader.X_FORWARDED_FOR)).isEqualTo("203.0.113.7");
    h = new DefaultHttpHeaders().add("X-Forwarded-For", "10.0.0.3").add("X-Forwarded-For", "203.0.113.7");
    assertThat(walk(TRUSTED_PEER, h, ClientAddressHeader.X_FORWARDED_FOR)).isEqualTo("203.0.113.7");
  }

  @Test
  void fromAPeerThatIsNotTrustedNoHeaderIsBelieved() {
    HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "203.0.113.7").add("Forwarded",
        "for=203.0.113.7");
    ClientAddress stranger = new ClientAddress("198.51.100.9", 51000);
    for (ClientAddressHeader header : ClientAddressHeader.values()) {
      assertThat(walk(stranger, h, header)).isEqualTo("198.51.100.9:51000");
      assertThat(ClientAddress.of(TRUSTED_PEER, h, List.of(), header).display()).as("no trusted proxies")
          .isEqualTo("10.0.0.1:40000");
    }
  }

  @Test
  void onlyTheConfiguredHeaderIsRead() {
    HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "203.0.113.7").add("Forwarded",
        "for=198.51.100.1");
    assertThat(walk(TRUSTED_PEER, h, ClientAddressHeader.X_FORWARDED_FOR)).isEqualTo("203.0.113.7");
    assertThat(walk(TRUSTED_PEER, h, ClientAddressHeader.FORWARDED)).isEqualTo("198.51.100.1");
    assertThat(walk(TRUSTED_PEER, new DefaultHttpHeaders(), ClientAddressHeader.FORWARDED))
        .as("a trusted peer without the header is the client").isEqualTo("10.0.0.1:40000");
  }

  @Test
  void thePeerAsReactorNettyGivesIt() {
    // The PROXY header's source comes unresolved, its literal as the host string.
    assertThat(ClientAddress.peer(InetSocketAddress.createUnresolved("2001:db8:0:0:0:0:0:1", 443)).display())
        .isEqualTo("[2001:db8::1]:443");
    assertThat(ClientAddress.peer(InetSocketAddress.createUnresolved("127.0.0.5", 40001)).display())
        .isEqualTo("127.0.0.5:40001");
    assertThat(ClientAddress.peer(new InetSocketAddress(IpAddresses.parse("fd00::1"), 8080)))
        .isEqualTo(new ClientAddress("fd00::1", 8080));
    HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "203.0.113.7");
    assertThat(walk(ClientAddress.peer(InetSocketAddress.createUnresolved("fd00:0:0:0:0:0:0:5", 1)), h,
        ClientAddressHeader.X_FORWARDED_FOR)).as("a trusted IPv6 peer").isEqualTo("203.0.113.7");
  }

  private static String walk(ClientAddress peer, HttpHeaders h, ClientAddressHeader header) {
    return ClientAddress.of(peer, h, TRUSTED, header).display();
  }

  private static AddressRange range(String text) {
    int slash = text.indexOf('/');
    var ip = IpAddresses.parse(slash < 0 ? text : text.substring(0, slash));
    return new AddressRange(ip, slash < 0 ? ip.getAddress().length * 8 : Integer.parseInt(text.substring(slash + 1)));
  }
}
