package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ClientAddressHeader;
import dev.wsgate.config.HeaderRules;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class UpstreamRequestTest {

  /** The README's table of path mappings (How a session is proxied): nginx's proxy_pass with a URI. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ws://b:1       | /chat | /chat/room | x=1   | ws://b:1/chat/room?x=1",
      "ws://b:1/      | /chat | /chat      |       | ws://b:1/chat",
      "ws://b:1/ws    | /chat | /chat/room | x=1   | ws://b:1/ws/room?x=1",
      "ws://b:1/ws/   | /chat | /chat/room |       | ws://b:1/ws/room",
      "ws://b:1/ws    | /chat | /chat      |       | ws://b:1/ws",
      "ws://b:1/ws    | /chat | /chat/     |       | ws://b:1/ws/",
      "ws://b:1/ws/   | /chat | /chat      |       | ws://b:1/ws/",
      "ws://b:1/ws    | /     | /          |       | ws://b:1/ws",
      "ws://b:1/ws    | /     | /a/b       |       | ws://b:1/ws/a/b",
      "wss://b:443/x  | /     | /          | q     | wss://b:443/x?q",
      "ws://[::1]:1/p | /c    | /c/%20d    | a=%2F | ws://[::1]:1/p/%20d?a=%2F"})
  void targetReplacesTheRoutePrefixByTheUpstreamPath(String upstream, String prefix, String path, String query,
      String expected) {
    UpstreamRequest.Target t = UpstreamRequest.target(URI.create(upstream), prefix, path, query);
    assertThat(t.uri()).hasToString(expected);
    URI e = URI.create(expected);
    assertThat(t.requestTarget()).isEqualTo(e.getRawPath() + (e.getRawQuery() == null ? "" : "?" + e.getRawQuery()));
  }

  /** The README's table of path mappings says what wsgate does: every row is checked here. */
  @Test
  void theReadmeTableOfPathMappingsIsWhatWsgateDoes() throws Exception {
    String readme = java.nio.file.Files.readString(dev.wsgate.deploy.DeployFiles.root().resolve("README.md"));
    int table = readme.indexOf("| route | upstream | request | goes upstream as |");
    assertThat(table).as("the table in README.md").isPositive();
    java.util.regex.Pattern row = java.util.regex.Pattern.compile(
        "^\\| `([^`]+)` \\| `([^`]+)` \\| `([^`]+)` \\| `([^`]+)`.*$");
    int rows = 0;
    for (String line : readme.substring(table).lines().skip(2).takeWhile(l -> l.startsWith("|")).toList()) {
      java.util.regex.Matcher m = row.matcher(line);
      assertThat(m.matches()).as("a row of the table: %s", line).isTrue();
      String request = m.group(3);
      int q = request.indexOf('?');
      UpstreamRequest.Target t = UpstreamRequest.target(URI.create(m.group(2)), m.group(1),
          q < 0 ? request : request.substring(0, q), q < 0 ? null : request.substring(q + 1));
      assertThat(t.requestTarget()).as(line).isEqualTo(m.group(4));
      rows++;
    }
    assertThat(rows).isGreaterThanOrEqualTo(8);
  }

  /** Characters browsers send unescaped and java.net.URI refuses: the request line keeps them as sent. */
  @Test
  void charactersUriRefusesTravelUnchangedOnTheRequestLine() {
    UpstreamRequest.Target t = UpstreamRequest.target(URI.create("ws://b:1/ws"), "/", "/a|b/{c}",
        "q={\"k\":[1,2]}&p=a|b^`<>");
    assertThat(t.requestTarget()).isEqualTo("/ws/a|b/{c}?q={\"k\":[1,2]}&p=a|b^`<>");
    assertThat(t.uri().getRawPath()).isEqualTo("/ws/a%7Cb/%7Bc%7D");
    assertThat(t.uri().getRawQuery()).isEqualTo("q=%7B%22k%22:[1,2]%7D&p=a%7Cb%5E%60%3C%3E");
  }

  @Test
  void headersCopiedSetAndDropped() {
    HttpHeaders client = new DefaultHttpHeaders();
    client.set("Authorization", "Bearer x");
    client.set("Cookie", "c=1");
    client.set("Origin", "https://app");
    client.set("User-Agent", "ua");
    client.set("X-Tenant", "t");
    client.set("X-Trace", "tr");
    client.set("Connection", "Upgrade, X-Trace");
    client.set("Upgrade", "websocket");
    client.set("Host", "gw:8080");
    client.set("X-Forwarded-For", "10.0.0.1");
    HttpHeaders out = UpstreamRequest.headers(client, new HeaderRules(List.of("X-Tenant", "X-Trace"),
        Map.of("X-Gateway", "wsgate", "Cookie", "override=1")), "127.0.0.1", ClientAddressHeader.X_FORWARDED_FOR,
        true, "rid");
    assertThat(out.get("Authorization")).isEqualTo("Bearer x");
    assertThat(out.get("Cookie")).as("added headers win").isEqualTo("override=1");
    assertThat(out.get("Origin")).isEqualTo("https://app");
    assertThat(out.get("User-Agent")).isEqualTo("ua");
    assertThat(out.get("X-Tenant")).isEqualTo("t");
    assertThat(out.get("X-Trace")).as("named in Connection: hop-by-hop").isNull();
    assertThat(out.get("Upgrade")).isNull();
    assertThat(out.get("Connection")).isNull();
    assertThat(out.get("Host")).isNull();
    assertThat(out.get("X-Forwarded-For")).isEqualTo("10.0.0.1, 127.0.0.1");
    assertThat(out.get("X-Forwarded-Proto")).isEqualTo("https");
    assertThat(out.get("X-Forwarded-Host")).isEqualTo("gw:8080");
    assertThat(out.get("X-Request-Id")).isEqualTo("rid");
    assertThat(out.get("X-Gateway")).isEqualTo("wsgate");
    assertThat(out.get("Forwarded")).as("not the header the trusted proxies write").isNull();
  }

  @Test
  void theForwardingListsAreExtendedWithThePeerEveryLineKept() {
    HttpHeaders client = new DefaultHttpHeaders();
    client.add("X-Forwarded-For", "203.0.113.7, 10.0.0.1");
    client.add("X-Forwarded-For", "10.0.0.2");
    client.add("Forwarded", "for=203.0.113.7;proto=https");
    client.add("Forwarded", "for=\"[2001:db8::1]:4711\"");
    HttpHeaders out = UpstreamRequest.headers(client, new HeaderRules(List.of(), Map.of()), "2001:db8::9",
        ClientAddressHeader.FORWARDED, false, "rid");
    assertThat(out.getAll("X-Forwarded-For")).containsExactly("203.0.113.7, 10.0.0.1, 10.0.0.2, 2001:db8::9");
    assertThat(out.getAll("Forwarded"))
        .containsExactly("for=203.0.113.7;proto=https, for=\"[2001:db8::1]:4711\", for=\"[2001:db8::9]\"");
    HttpHeaders fresh = UpstreamRequest.headers(new DefaultHttpHeaders(), new HeaderRules(List.of(), Map.of()),
        "192.0.2.1", ClientAddressHeader.FORWARDED, false, "rid");
    assertThat(fresh.get("X-Forwarded-For")).isEqualTo("192.0.2.1");
    assertThat(fresh.get("Forwarded")).isEqualTo("for=192.0.2.1");
  }

  @Test
  void subprotocolsJoinedFromEveryHeaderLine() {
    HttpHeaders client = new DefaultHttpHeaders();
    assertThat(UpstreamRequest.subprotocols(client)).isNull();
    client.add("Sec-WebSocket-Protocol", "a, b");
    client.add("Sec-WebSocket-Protocol", "c ,");
    assertThat(UpstreamRequest.subprotocols(client)).isEqualTo("a,b,c");
  }
}
