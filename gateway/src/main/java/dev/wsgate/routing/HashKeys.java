package dev.wsgate.routing;

import dev.wsgate.config.HashKey;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Optional;

/**
 * A session's {@code hash-key} read from its handshake, once per handshake: the first value of the header, the
 * first cookie of that name across the {@code Cookie} headers (HTTP/2 clients send several), the first query
 * parameter of that name (percent-decoded), or the client's address. A key that is absent or empty is none: the
 * session goes round-robin.
 */
public final class HashKeys {

  private HashKeys() {
  }

  /**
   * The session's key, or null when it has none.
   *
   * @param key      the route's {@code hash-key}, empty when it does not hash
   * @param headers  the client's request headers
   * @param rawQuery the request target's query as sent, without {@code ?}, or null
   * @param clientIp the client's address, as the access log gives it without the port
   */
  public static String of(Optional<HashKey> key, HttpHeaders headers, String rawQuery, String clientIp) {
    if (key.isEmpty()) {
      return null;
    }
    HashKey k = key.get();
    String value = switch (k.source()) {
      case HEADER -> headers.get(k.name());
      case COOKIE -> cookie(headers.getAll(HttpHeaderNames.COOKIE), k.name());
      case QUERY -> query(rawQuery, k.name());
      case CLIENT_ADDRESS -> clientIp;
    };
    if (value == null) {
      return null;
    }
    value = value.strip();
    return value.isEmpty() ? null : value;
  }

  /** The value of the first cookie {@code name} in the {@code Cookie} header values, unquoted; or null. */
  static String cookie(List<String> cookieHeaders, String name) {
    for (String header : cookieHeaders) {
      int from = 0;
      while (from <= header.length()) {
        int end = header.indexOf(';', from);
        if (end < 0) {
          end = header.length();
        }
        int eq = header.indexOf('=', from);
        int nameStart = from;
        int nameEnd = eq;
        while (nameStart < nameEnd && isSpace(header.charAt(nameStart))) {
          nameStart++;
        }
        while (nameEnd > nameStart && isSpace(header.charAt(nameEnd - 1))) {
          nameEnd--;
        }
        if (eq > from && eq < end && nameEnd - nameStart == name.length()
            && header.regionMatches(nameStart, name, 0, name.length())) {
          String v = header.substring(eq + 1, end).strip();
          return v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"'
              ? v.substring(1, v.length() - 1) : v;
        }
        from = end + 1;
      }
    }
    return null;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  /** The first parameter {@code name} of a raw query, percent-decoded (with {@code +} as a space); or null. */
  static String query(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    int from = 0;
    while (from <= rawQuery.length()) {
      int end = rawQuery.indexOf('&', from);
      if (end < 0) {
        end = rawQuery.length();
      }
      int eq = rawQuery.indexOf('=', from);
      int nameEnd = eq >= from && eq < end ? eq : end;
      if (nameEnd - from == name.length() && rawQuery.startsWith(name, from)) {
        return nameEnd == end ? "" : QueryStringDecoder.decodeComponent(rawQuery.substring(eq + 1, end));
      }
      from = end + 1;
    }
    return null;
  }
}
