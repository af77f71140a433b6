package dev.wsgate.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** The value types of keys about HTTP: route paths and hosts, upstream URIs, origins, header names and values. */
final class HttpTypes {

  /**
   * Headers a route may neither forward nor add: hop-by-hop headers (RFC 9110, 7.6.1), the WebSocket handshake's
   * own, and the ones wsgate sets itself.
   */
  static final Set<String> MANAGED_HEADERS = Set.of("host", "connection", "upgrade", "keep-alive",
      "proxy-connection", "transfer-encoding", "te", "trailer", "content-length", "sec-websocket-key",
      "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept", "x-forwarded-for",
      "x-forwarded-proto", "x-forwarded-host");

  /**
   * Headers a hash key may not name: hop-by-hop headers (RFC 9110, 7.6.1), which a proxy in front may rewrite or
   * drop, and the WebSocket handshake's own ({@code Sec-WebSocket-Key} is new on every connection).
   */
  static final Set<String> UNHASHABLE_HEADERS = Set.of("connection", "upgrade", "keep-alive", "proxy-connection",
      "transfer-encoding", "te", "trailer", "content-length", "sec-websocket-key", "sec-websocket-version",
      "sec-websocket-extensions", "sec-websocket-accept");
  /** Headers that carry the client's address: {@code client-address} believes them only from trusted proxies. */
  static final Set<String> ADDRESS_HEADERS = Set.of("x-forwarded-for", "forwarded", "x-real-ip");

  /** What a hash key may be, as the error says it. */
  static final String HASH_KEY_EXPECTED = "header:NAME, cookie:NAME, query:NAME or client-address";

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern HOST_NAME = Pattern.compile(
      "(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  private static final Pattern ORIGIN = Pattern.compile(
      "[a-z][a-z0-9+.-]*://(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\\d{1,5})?");

  private HttpTypes() {
  }

  /** A route's path prefix, without a trailing slash. */
  static Type<String> routePath() {
    return Types.of((at, v) -> {
      String t = v.text(at, "a path prefix such as /chat");
      if (t == null) {
        return null;
      }
      String p = t.strip();
      boolean ok = p.startsWith("/") && !p.contains("//") && p.chars().noneMatch(c -> c <= ' ' || c == '?'
          || c == '#' || c == 0x7f);
      if (ok) {
        for (String segment : p.split("/")) {
          ok &= !segment.equals(".") && !segment.equals("..");
        }
      }
      if (!ok) {
        v.problems().add(at, t + " (expected: a path prefix from /, such as /chat, without spaces, ?, #, // or dot "
            + "segments)");
        return null;
      }
      return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }, Type::scalar);
  }

  /** The {@code Host} a route is for, or any host when absent. */
  static Type<Optional<String>> host() {
    return Types.of((at, v) -> {
      String t = v.text(at, "a host name such as chat.example.com");
      if (t == null) {
        return null;
      }
      String h = t.strip().toLowerCase(Locale.ROOT);
      if (!HOST_NAME.matcher(h).matches()) {
        String hint = h.contains(":") ? "; without a port" : "";
        v.problems().add(at, t + " (expected: a host name such as chat.example.com or *.example.com" + hint + ")");
        return null;
      }
      return Optional.of(h);
    }, h -> h.map(name -> (Object) Type.scalar(name)).orElse(null));
  }

  /** One or more distinct {@code ws://} or {@code wss://} URIs. */
  static Type<List<URI>> upstreams() {
    return Types.of((at, v) -> {
      List<At> items = v.list(at, "ws:// or wss:// URIs");
      if (items.isEmpty() && (at.isNull() || at.node() instanceof SequenceNode)) {
        v.problems().add(at, (at.isNull() ? "no value" : "[]") + " (expected: at least one ws:// or wss:// URI)");
        return null;
      }
      List<URI> out = new ArrayList<>();
      for (At item : items) {
        URI uri = v.upstreamUri(item);
        if (uri != null && out.contains(uri)) {
          v.problems().add(item, uri + " (expected: each upstream once in a route)");
        } else if (uri != null) {
          out.add(uri);
        }
      }
      return out.isEmpty() ? null : out;
    }, uris -> uris.stream().map(u -> Type.scalar(u.toString())).toList());
  }

  /** Origins such as {@code https://app.example.com}, lower case, without a trailing slash. */
  static Type<List<String>> origins() {
    return Types.of((at, v) -> {
      List<String> out = new ArrayList<>();
      for (At e : v.list(at, "origins such as https://app.example.com")) {
        String t = v.text(e, "an origin such as https://app.example.com");
        if (t == null) {
          continue;
        }
        String o = t.strip().toLowerCase(Locale.ROOT);
        if (o.endsWith("/")) {
          o = o.substring(0, o.length() - 1);
        }
        if (!o.equals("*") && !ORIGIN.matcher(o).matches()) {
          v.problems().add(e, t + " (expected: an origin, SCHEME://HOST[:PORT] without a path, such as "
              + "https://app.example.com or https://*.example.com; or * for any)");
          continue;
        }
        out.add(o);
      }
      return out;
    }, HttpTypes::scalars);
  }

  /** Names of client request headers to pass on. */
  static Type<List<String>> headerNames() {
    return Types.of((at, v) -> {
      List<String> out = new ArrayList<>();
      for (At item : v.list(at, "header names")) {
        String name = headerName(item, v);
        if (name != null) {
          out.add(name);
        }
      }
      return out;
    }, HttpTypes::scalars);
  }

  /** Headers to set, name to value, in file order. */
  static Type<Map<String, String>> headerValues() {
    return Types.of((at, v) -> {
      Map<String, String> add = new LinkedHashMap<>();
      if (!at.isNull() && !(at.node() instanceof MappingNode)) {
        v.problems().add(at, at.describe() + " (expected: a mapping of header name to value)");
        return add;
      }
      if (at.isNull()) {
        return add;
      }
      for (NodeTuple tuple : ((MappingNode) at.node()).getValue()) {
        At nameAt = at.child(keyText(tuple.getKeyNode()), tuple.getKeyNode());
        String name = headerName(nameAt, v);
        At valueAt = new At(tuple.getValueNode(), nameAt.path());
        String value = v.text(valueAt, "a header value");
        if (name == null || value == null) {
          continue;
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf(0) >= 0) {
          v.problems().add(valueAt, "a value with a line break (expected: a header value on one line)");
          continue;
        }
        if (add.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name))) {
          v.problems().add(nameAt, "duplicate header (expected: each header once)");
          continue;
        }
        add.put(name, value);
      }
      return add;
    }, add -> {
      Map<String, String> out = new LinkedHashMap<>();
      add.forEach((k, val) -> out.put(Type.scalar(k), Type.scalar(val)));
      return out;
    });
  }

  /** A {@code hash-key}: {@code header:NAME}, {@code cookie:NAME}, {@code query:NAME} or {@code client-address}. */
  static Type<Optional<HashKey>> hashKey() {
    return Types.of((at, v) -> {
      String t = v.text(at, HASH_KEY_EXPECTED);
      if (t == null) {
        return null;
      }
      String written = t.strip();
      if (written.equals(HashKey.Source.CLIENT_ADDRESS.prefix())) {
        return Optional.of(new HashKey(HashKey.Source.CLIENT_ADDRESS, ""));
      }
      int colon = written.indexOf(':');
      HashKey.Source source = null;
      for (HashKey.Source s : HashKey.Source.values()) {
        if (s != HashKey.Source.CLIENT_ADDRESS && colon > 0 && written.substring(0, colon).strip()
            .equalsIgnoreCase(s.prefix())) {
          source = s;
        }
      }
      if (source == null) {
        v.problems().add(at, t + " (expected: " + HASH_KEY_EXPECTED + ")");
        return null;
      }
      String name = written.substring(colon + 1).strip();
      if (name.isEmpty()) {
        v.problems().add(at, t + " (expected: a name after " + source.prefix() + ":, such as " + source.prefix()
            + (source == HashKey.Source.HEADER ? ":X-User-Id" : source == HashKey.Source.COOKIE ? ":session"
            : ":room") + ")");
        return null;
      }
      String bad = hashKeyNameRefusal(source, name);
      if (bad != null) {
        v.problems().add(at, t + " (expected: " + bad + ")");
        return null;
      }
      return Optional.of(new HashKey(source, name));
    }, k -> k.map(key -> (Object) Type.scalar(key.toString())).orElse(null));
  }

  /** Why {@code name} cannot be a hash key from {@code source}, as what is expected instead; null when it can. */
  private static String hashKeyNameRefusal(HashKey.Source source, String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    switch (source) {
      case HEADER:
        if (!TOKEN.matcher(name).matches()) {
          return "a header name, letters, digits and !#$%&'*+-.^_`|~";
        }
        if (UNHASHABLE_HEADERS.contains(lower)) {
          return "a header that is the same on every connection of a client; " + name + " is hop-by-hop or part "
              + "of the WebSocket handshake";
        }
        if (ADDRESS_HEADERS.contains(lower)) {
          return "client-address, which believes " + name + " only from server.trusted-proxies";
        }
        return null;
      case COOKIE:
        return TOKEN.matcher(name).matches() ? null : "a cookie name, letters, digits and !#$%&'*+-.^_`|~";
      case QUERY:
        return name.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '&' && c != '=' && c != '#' && c != '%'
            && c != '?') ? null : "a query parameter name, printable ASCII without & = # % ? or spaces";
      default:
        return null;
    }
  }

  private static String headerName(At at, Values v) {
    String t = v.text(at, "a header name");
    if (t == null) {
      return null;
    }
    String name = t.strip();
    if (!TOKEN.matcher(name).matches()) {
      v.problems().add(at, t + " (expected: a header name, letters, digits and !#$%&'*+-.^_`|~)");
      return null;
    }
    if (MANAGED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
      v.problems().add(at, name + " (expected: a header that wsgate does not manage itself; hop-by-hop, handshake "
          + "and X-Forwarded-* headers are set by wsgate)");
      return null;
    }
    return name;
  }

  private static Object scalars(List<String> items) {
    return items.stream().map(Type::scalar).toList();
  }

  private static String keyText(Node key) {
    return key instanceof ScalarNode ? ((ScalarNode) key).getValue() : "?";
  }
}
