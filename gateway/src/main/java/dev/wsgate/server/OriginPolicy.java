package dev.wsgate.server;

import java.util.List;
import java.util.Locale;

/**
 * {@code server.allowed-origins}: which browser origins may open sessions (against cross-site WebSocket hijacking).
 * An empty list, or {@code *}, allows any. A request without {@code Origin} is not from a browser page and is
 * allowed; {@code Origin: null} (sandboxed pages, files) is refused unless any origin is allowed.
 */
final class OriginPolicy {

  private final List<String> allowed;
  private final boolean any;

  OriginPolicy(List<String> allowed) {
    this.allowed = List.copyOf(allowed);
    this.any = allowed.isEmpty() || allowed.contains("*");
  }

  boolean allows(String origin) {
    if (any || origin == null) {
      return true;
    }
    String o = origin.strip().toLowerCase(Locale.ROOT);
    for (String rule : allowed) {
      if (matches(rule, o)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(String rule, String origin) {
    int wildcard = rule.indexOf("://*.");
    if (wildcard < 0) {
      return rule.equals(origin);
    }
    // SCHEME://*.SUFFIX[:PORT] matches SCHEME://ANY.SUFFIX[:PORT], the same port or none alike.
    String scheme = rule.substring(0, wildcard + 3);
    if (!origin.startsWith(scheme)) {
      return false;
    }
    String[] ruleHostPort = hostAndPort(rule.substring(wildcard + 4));
    String[] originHostPort = hostAndPort(origin.substring(scheme.length()));
    String suffix = ruleHostPort[0];
    String host = originHostPort[0];
    return ruleHostPort[1].equals(originHostPort[1]) && host.endsWith(suffix) && host.length() > suffix.length();
  }

  private static String[] hostAndPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? new String[] {hostPort, ""} : new String[] {hostPort.substring(0, colon),
        hostPort.substring(colon)};
  }
}
