package dev.wsgate.server;

/**
 * The client's request target (RFC 9112, 3.2: origin-form, a path and an optional query), checked before anything
 * is done with it. Refused, with {@code 400} and the reason {@link #refusal} gives:
 * <ul>
 *   <li>anything but a path from {@code /} (absolute-form, authority-form, {@code *});</li>
 *   <li>an invalid or truncated percent-escape ({@code %zz}, {@code %4}), in path or query: no server can decode it
 *       (RFC 3986, 2.1);</li>
 *   <li>control characters and raw bytes outside ASCII: RFC 3986 has no place for them, and HTTP servers differ on
 *       what they mean (percent-encode them);</li>
 *   <li>a fragment ({@code #}), which is never sent in a request (RFC 9110, 7.1);</li>
 *   <li>dot segments ({@code .}, {@code ..}, and their percent-encoded forms), which could climb out of a route
 *       prefix.</li>
 * </ul>
 * Every other printable ASCII character goes upstream as sent, including {@code " < > \ ^ ` { | }}: RFC 3986
 * excludes them, but browsers send several of them unescaped in paths and queries (the WHATWG URL standard), and
 * nginx passes them on; refusing them would break applications that work behind nginx.
 */
final class RequestTarget {

  private RequestTarget() {
  }

  /** Why the request target {@code uri} is refused, in one line, or null when it is fine. */
  static String refusal(String uri) {
    if (uri.isEmpty() || uri.charAt(0) != '/') {
      return "the request target must be a path from / (origin-form), not " + printable(uri);
    }
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return String.format("control character 0x%02x at position %d of the request target", (int) c, i);
      }
      if (c > 0x7e) {
        return String.format("raw byte 0x%02x outside ASCII at position %d of the request target (percent-encode it)",
            (int) c & 0xff, i);
      }
      if (c == '#') {
        return "a fragment (#) at position " + i + " of the request target; fragments are not sent in requests";
      }
      if (c == '%') {
        if (i + 2 >= uri.length()) {
          return "truncated percent-escape " + printable(uri.substring(i)) + " at the end of the request target";
        }
        if (Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0) {
          return "invalid percent-escape " + printable(uri.substring(i, i + 3)) + " at position " + i + " of the request target";
        }
      }
    }
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    if (hasDotSegment(path)) {
      return "dot segments in the request path " + printable(path);
    }
    return null;
  }

  private static boolean hasDotSegment(String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..") || segment.equalsIgnoreCase("%2e")
          || segment.equalsIgnoreCase("%2e%2e") || segment.equalsIgnoreCase(".%2e")
          || segment.equalsIgnoreCase("%2e.")) {
        return true;
      }
    }
    return false;
  }

  /** A value for a log line or an answer: at most 100 characters, anything unprintable escaped. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 100; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        b.append(String.format("\\x%02x", (int) c & 0xff));
      } else {
        b.append(c);
      }
    }
    return s.length() > 100 ? b + "..." : b.toString();
  }
}
