package dev.wsgate.proxy;

import dev.wsgate.config.ClientAddressHeader;
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
 * {@code headers.forward} are copied from the client; {@code X-Forwarded-For} (and {@code Forwarded} when it is
 * {@code server.client-address-header}), {@code X-Forwarded-Proto}, {@code X-Forwarded-Host} and
 * {@code X-Request-Id} are set; the route's {@code headers.add} are set last. Nothing
 * else is copied, so hop-by-hop headers (and headers the client lists in {@code Connection}) never travel. The
 * client's {@code Sec-WebSocket-Protocol} list travels through the handshake itself.
 */
public final class UpstreamRequest {

  /** Request headers passed upstream as sent by the client. */
  public static final List<String> FORWARDED = List.of("authorization", "cookie", "origin", "user-agent");

  public static final String X_FORWARDED_FOR = "X-Forwarded-For";
  /** RFC 7239's header, sent upstream when it is {@code server.client-address-header}. */
  public static final String FORWARDED_HEADER = "Forwarded";
  public static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  public static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  public static final String X_REQUEST_ID = "X-Request-Id";

  private UpstreamRequest() {
  }

  /**
   * Where to connect and what to ask for there.
   *
   * @param uri           the upstream's scheme and authority with the request path and query, for the connection (with
   *                      the characters {@link java.net.URI} refuses percent-encoded)
   * @param requestTarget the path and query as they go on the upstream request line: the client's, unchanged
   */
  public record Target(URI uri, String requestTarget) {
  }

  /**
   * The target of the upstream request. An upstream without a path (or with {@code /}) gets the client's path
   * unchanged; an upstream with a path gets the route prefix replaced by it, as nginx's {@code proxy_pass} with a
   * URI: route {@code /chat}, upstream {@code ws://b/ws}: {@code /chat/room?x=1} goes to {@code /ws/room?x=1}, and
   * the bare prefix {@code /chat} (or {@code /} on route {@code /}) to {@code /ws} itself.
   *
   * @param rawPath  the request path as sent, without query, already checked (no control characters, non-ASCII
   *                 bytes or broken percent-escapes)
   * @param rawQuery the query as sent, or null
   */
  public static Target target(URI upstream, String routePrefix, String rawPath, String rawQuery) {
    String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    String path;
    if (base.isEmpty() || base.equals("/")) {
      path = rawPath;
    } else {
      String rest = routePrefix.equals("/") ? rawPath.substring(1) : rawPath.substring(routePrefix.length());
      if (rest.isEmpty()) {
        path = base; // the bare prefix: the upstream's path as written, as nginx does
      } else {
        String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        path = rest.startsWith("/") ? trimmed + rest : trimmed + "/" + rest;
      }
    }
    String requestTarget = rawQuery == null ? path : path + "?" + rawQuery;
    String uri = upstream.getScheme() + "://" + upstream.getRawAuthority() + escapeForUri(requestTarget);
    try {
      return new Target(new URI(uri), requestTarget);
    } catch (URISyntaxException e) {
      // The target was checked before; this is a bug, reported as such (500) by the handshake.
      throw new IllegalStateException("cannot build the upstream URI " + uri + ": " + e.getMessage(), e);
    }
  }

  /**
   * Percent-encodes the printable characters that HTTP requests carry (browsers send them unescaped) but
   * {@link URI} refuses: {@code " < > \ ^ ` { | }}. Only the URI object gets them escaped; the request line keeps
   * them as sent.
   */
  static String escapeForUri(String target) {
    StringBuilder b = null;
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if ("\"<>\\^`{|}".indexOf(c) >= 0) {
        if (b == null) {
          b = new StringBuilder(target.length() + 8).append(target, 0, i);
        }
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? target : b.toString();
  }

  /**
   * The headers of the upstream handshake. The address wsgate took the connection from is appended to the client's
   * {@code X-Forwarded-For} (and, when the trusted proxies write {@code Forwarded}, to its {@code Forwarded} as
   * {@code for=}), whether or not the peer is trusted: each hop appends the peer it saw, as nginx's
   * {@code $proxy_add_x_forwarded_for}, HAProxy's {@code option forwardfor} and Envoy do, so the right-most entry is
   * always wsgate's own, and an upstream that trusts wsgate reads the list from the right as wsgate does.
   *
   * @param client        the client's request headers
   * @param peerAddress   the connection's peer (the PROXY header's source, or the TCP peer): an IP address, no port
   * @param header        the header trusted proxies append to ({@code server.client-address-header})
   * @param secure        true when the client connected with TLS
   * @param requestId     the request id, from the client or generated
   */
  public static HttpHeaders headers(HttpHeaders client, HeaderRules rules, String peerAddress,
      ClientAddressHeader header, boolean secure, String requestId) {
    Set<String> connectionTokens = connectionTokens(client);
    HttpHeaders out = new DefaultHttpHeaders();
    for (String name : FORWARDED) {
      copy(client, out, name, connectionTokens);
    }
    for (String name : rules.forward()) {
      copy(client, out, name, connectionTokens);
    }
    out.set(X_FORWARDED_FOR, appended(client, X_FORWARDED_FOR, peerAddress));
    if (header == ClientAddressHeader.FORWARDED) {
      out.set(FORWARDED_HEADER, appended(client, FORWARDED_HEADER, "for=" + forwardedNode(peerAddress)));
    }
    out.set(X_FORWARDED_PROTO, secure ? "https" : "http");
    String host = client.get(HttpHeaderNames.HOST);
    if (host != null) {
      out.set(X_FORWARDED_HOST, host);
    }
    out.set(X_REQUEST_ID, requestId);
    rules.add().forEach(out::set);
    return out;
  }

  /** Every line of the client's list header, in order, with {@code entry} after them. */
  private static String appended(HttpHeaders client, String name, String entry) {
    StringBuilder b = new StringBuilder();
    for (String line : client.getAll(name)) {
      if (!line.isBlank()) {
        b.append(line.strip()).append(", ");
      }
    }
    return b.append(entry).toString();
  }

  /** An address as RFC 7239 writes a node: IPv6 in brackets and quotes, IPv4 as it is, else {@code unknown}. */
  static String forwardedNode(String ip) {
    if (ip.indexOf(':') >= 0) {
      return "\"[" + ip + "]\"";
    }
    return ip.matches("[0-9.]+") ? ip : "unknown";
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
