package dev.wsgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Balance;
import dev.wsgate.config.Compressions;
import dev.wsgate.config.HeaderRules;
import dev.wsgate.config.Heartbeats;
import dev.wsgate.config.RouteConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouterTest {

  private static Route route(String path, String host) {
    RouteConfig c = new RouteConfig(path, Optional.ofNullable(host), List.of(URI.create("ws://u:1")),
        Balance.ROUND_ROBIN, Optional.empty(), HeaderRules.none(), Heartbeats.defaults(), Duration.ZERO, false,
        Duration.ZERO, Duration.ZERO, Compressions.defaults());
    return new Route(c, new UpstreamPool(c.id(), c.upstreams(), c.balance(), Duration.ZERO));
  }

  private final Router router = new Router(List.of(
      route("/", null),
      route("/chat", null),
      route("/chat/vip", null),
      route("/chat", "chat.example.com"),
      route("/chat", "*.example.com"),
      route("/api", "api.example.com")));

  @ParameterizedTest
  @CsvSource({
      "localhost, /, /",
      "localhost, /chat, /chat",
      "localhost, /chat/, /chat",
      "localhost, /chat/room, /chat",
      "localhost, /chatroom, /",
      "localhost, /chat/vip, /chat/vip",
      "localhost, /chat/vipx, /chat",
      "chat.example.com, /chat/x, chat.example.com/chat",
      "CHAT.example.com:8443, /chat, chat.example.com/chat",
      "chat.example.com., /chat, chat.example.com/chat",
      "eu.example.com, /chat, *.example.com/chat",
      "a.b.example.com, /chat, *.example.com/chat",
      "example.com, /chat, /chat",
      "chat.example.com, /chat/vip, /chat/vip",
      "api.example.com, /api/v1, api.example.com/api",
      "other.com, /api/v1, /",
      "'[::1]:8080', /chat, /chat"})
  void longestPrefixThenMostSpecificHost(String host, String path, String expected) {
    assertThat(router.route(host, path)).map(Route::id).contains(expected);
  }

  @ParameterizedTest
  @CsvSource({"other.com, /api"})
  void noRouteWithoutACatchAll(String host, String path) {
    Router noRoot = new Router(List.of(route("/chat", null), route("/api", "api.example.com")));
    assertThat(noRoot.route(host, path)).isEmpty();
    assertThat(noRoot.route(null, "/chat/1")).map(Route::id).contains("/chat");
  }
}
