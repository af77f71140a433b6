package dev.wsgate.proxy;

import dev.wsgate.config.HeaderRules;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What wsgate sends upstream for one client handshake: the target URI and the request headers.
 *
 * <p>Headers: {@code Authorization}, {@code Cookie}, {@code Origin}, {@code User-Agent} and the route's
 * {@code headers.forward} are copied from the client; {@code X-Forwarded-For}, {@code X-Forwarded-Proto},
 * {@code X-Forwarded-Host} and {@code X-Request-Id} are set; the route's {@code headers.add} are set last. Nothing
 * else is copied, so hop-by-hop headers (and headers the client lists in {@code Connection}) never travel. The
 * client's {@code Sec-WebSocket-Protocol} list travels through the handshake itself.
 */
public final class UpstreamRequest {

  /** Request headers passed upstream as sent by the client. */
  public static final List<String> FORWARDED = List.of("authorization", "cookie", "origin", "user-agent");

  public static final String X_FORWARDED_FOR = "X-Forwarded-For";
  public static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  public static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  public static final String X_REQUEST_ID = "X-Request-Id";

  private UpstreamRequest() {
  }

  /**
   * The URI to connect to. An upstream without a path (or with {@code /}) gets the client's path unchanged; an
   * upstream with a path gets the route prefix replaced by it, as nginx's {@code proxy_pass} with a URI:
   * route {@code /chat}, upstream {@code ws://b/ws}: {@code /chat/room?x=1} goes to {@code ws://b/ws/room?x=1}.
   *
   * @param rawPath  the request path as sent, without query
   * @param rawQuery the query as sent, or null
   */
  public static URI target(URI upstream, String routePrefix, String rawPath, String rawQuery) {
    String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    String path;
    if (base.isEmpty() || base.equals("/")) {
      path = rawPath;
    } else {
      String rest = routePrefix.equals("/") ? rawPath : rawPath.substring(routePrefix.length());
      String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
      path = rest.isEmpty() ? trimmed : rest.startsWith("/") ? trimmed + rest : trimmed + "/" + rest;
      if (path.isEmpty()) {
        path = "/";
      }
    }
    StringBuilder s = new StringBuilder()
        .append(upstream.getScheme()).append("://").append(upstream.getRawAuthority()).append(path);
    if (rawQuery != null) {
      s.append('?').append(rawQuery);
    }
    try {
      return new URI(s.toString());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("cannot build the upstream URI " + s + ": " + e.getMessage(), e);
    }
  }

  /**
   * The headers of the upstream handshake.
   *
   * @param client        the client's request headers
   * @param clientAddress the client's IP address (no port)
   * @param secure        true when the client connected with TLS
   * @param requestId     the request id, from the client or generated
   */
  public static HttpHeaders headers(HttpHeaders client, HeaderRules rules, String clientAddress, boolean secure,
      String requestId) {
    Set<String> connectionTokens = connectionTokens(client);
    HttpHeaders out = new DefaultHttpHeaders();
    for (String name : FORWARDED) {
      copy(client, out, name, connectionTokens);
    }
    for (String name : rules.forward()) {
      copy(client, out, name, connectionTokens);
    }
    String previous = client.get(X_FORWARDED_FOR);
    out.set(X_FORWARDED_FOR, previous == null || previous.isBlank() ? clientAddress : previous + ", " + clientAddress);
    out.set(X_FORWARDED_PROTO, secure ? "https" : "http");
    String host = client.get(HttpHeaderNames.HOST);
    if (host != null) {
      out.set(X_FORWARDED_HOST, host);
    }
    out.set(X_REQUEST_ID, requestId);
    rules.add().forEach(out::set);
    return out;
  }

  /** The client's subprotocol list as one comma-separated value, or null when it offered none. */
  public static String subprotocols(HttpHeaders client) {
    List<String> all = client.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
    if (all.isEmpty()) {
      return null;
    }
    StringBuilder s = new StringBuilder();
    for (String line : all) {
      for (String p : line.split(",")) {
        String t = p.strip();
        if (!t.isEmpty()) {
          s.append(s.length() == 0 ? "" : ",").append(t);
        }
      }
    }
    return s.length() == 0 ? null : s.toString();
  }

  private static void copy(HttpHeaders from, HttpHeaders to, String name, Set<String> connectionTokens) {
    if (connectionTokens.contains(name.toLowerCase(Locale.ROOT))) {
      return;
    }
    List<String> values = from.getAll(name);
    if (!values.isEmpty()) {
      to.set(name, values);
    }
  }

  private static Set<String> connectionTokens(HttpHeaders client) {
    Set<String> tokens = new HashSet<>();
    for (String v : client.getAll(HttpHeaderNames.CONNECTION)) {
      for (String t : v.split(",")) {
        tokens.add(t.strip().toLowerCase(Locale.ROOT));
      }
    }
    return tokens;
  }
}
