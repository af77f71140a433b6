package dev.wsgate.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parameters of one permessage-deflate offer or answer (RFC 7692, 7.1), as {@code Sec-WebSocket-Extensions}
 * carries them.
 *
 * @param serverNoContext {@code server_no_context_takeover}
 * @param clientNoContext {@code client_no_context_takeover}
 * @param serverMaxWindow {@code server_max_window_bits}: 8 to 15, or {@link #ABSENT}
 * @param clientMaxWindow {@code client_max_window_bits}: 8 to 15, {@link #NO_VALUE} (an offer's bare parameter), or
 *                        {@link #ABSENT}
 */
record DeflateParams(boolean serverNoContext, boolean clientNoContext, int serverMaxWindow, int clientMaxWindow) {

  static final String NAME = "permessage-deflate";
  /** The parameter is not there. */
  static final int ABSENT = 0;
  /** The parameter is there without a value (only {@code client_max_window_bits} of an offer may be). */
  static final int NO_VALUE = -1;
  /** The window wsgate's own compressor uses: the JDK's zlib takes no other. */
  static final int JDK_WINDOW = 15;

  private static final String SERVER_NO_CONTEXT = "server_no_context_takeover";
  private static final String CLIENT_NO_CONTEXT = "client_no_context_takeover";
  private static final String SERVER_MAX_WINDOW = "server_max_window_bits";
  private static final String CLIENT_MAX_WINDOW = "client_max_window_bits";

  /** A bare {@code permessage-deflate}. */
  static final DeflateParams PLAIN = new DeflateParams(false, false, ABSENT, ABSENT);

  /**
   * The permessage-deflate elements of a {@code Sec-WebSocket-Extensions} value (or several, comma-joined), in
   * order; elements of other extensions, and permessage-deflate elements that break RFC 7692 (an unknown or repeated
   * parameter, a bad value), are left out.
   *
   * @param offer true for a client's offer (a bare {@code client_max_window_bits} allowed), false for an answer
   */
  static List<DeflateParams> parseAll(String header, boolean offer) {
    List<DeflateParams> out = new ArrayList<>(2);
    if (header == null) {
      return out;
    }
    for (String element : header.split(",")) {
      DeflateParams p = parse(element, offer);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  /** One element, or null when it is not a valid permessage-deflate element. */
  static DeflateParams parse(String element, boolean offer) {
    String[] parts = element.split(";");
    if (!parts[0].strip().equalsIgnoreCase(NAME)) {
      return null;
    }
    boolean serverNoContext = false;
    boolean clientNoContext = false;
    int serverMax = ABSENT;
    int clientMax = ABSENT;
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i].strip();
      int eq = part.indexOf('=');
      String name = (eq < 0 ? part : part.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
      String value = eq < 0 ? null : unquote(part.substring(eq + 1).strip());
      switch (name) {
        case SERVER_NO_CONTEXT -> {
          if (serverNoContext || value != null) {
            return null;
          }
          serverNoContext = true;
        }
        case CLIENT_NO_CONTEXT -> {
          if (clientNoContext || value != null) {
            return null;
          }
          clientNoContext = true;
        }
        case SERVER_MAX_WINDOW -> {
          if (serverMax != ABSENT || (serverMax = bits(value)) == ABSENT) {
            return null;
          }
        }
        case CLIENT_MAX_WINDOW -> {
          if (clientMax != ABSENT) {
            return null;
          }
          clientMax = value == null && offer ? NO_VALUE : bits(value);
          if (clientMax == ABSENT) {
            return null;
          }
        }
        default -> {
          return null;
        }
      }
    }
    return new DeflateParams(serverNoContext, clientNoContext, serverMax, clientMax);
  }

  /**
   * True when these parameters, a server's answer, accept {@code offer} (RFC 7692, 7.1): a server may always add
   * either {@code *_no_context_takeover} and {@code server_max_window_bits} (at most the offer's), but
   * {@code client_max_window_bits} only when offered (at most the offer's value), and must echo an offered
   * {@code server_no_context_takeover}.
   */
  boolean accepts(DeflateParams offer) {
    if (offer.serverNoContext && !serverNoContext) {
      return false;
    }
    if (offer.serverMaxWindow != ABSENT && (serverMaxWindow == ABSENT || serverMaxWindow > offer.serverMaxWindow)) {
      return false;
    }
    if (clientMaxWindow != ABSENT) {
      return clientMaxWindow > 0 && offer.clientMaxWindow != ABSENT
          && (offer.clientMaxWindow == NO_VALUE || clientMaxWindow <= offer.clientMaxWindow);
    }
    return true;
  }

  /** The element as it goes in {@code Sec-WebSocket-Extensions}. */
  String header() {
    StringBuilder b = new StringBuilder(NAME);
    if (serverNoContext) {
      b.append("; ").append(SERVER_NO_CONTEXT);
    }
    if (clientNoContext) {
      b.append("; ").append(CLIENT_NO_CONTEXT);
    }
    if (serverMaxWindow != ABSENT) {
      b.append("; ").append(SERVER_MAX_WINDOW).append('=').append(serverMaxWindow);
    }
    if (clientMaxWindow == NO_VALUE) {
      b.append("; ").append(CLIENT_MAX_WINDOW);
    } else if (clientMaxWindow != ABSENT) {
      b.append("; ").append(CLIENT_MAX_WINDOW).append('=').append(clientMaxWindow);
    }
    return b.toString();
  }

  /** Several elements, comma-separated. */
  static String header(List<DeflateParams> elements) {
    StringBuilder b = new StringBuilder();
    for (DeflateParams p : elements) {
      b.append(b.length() == 0 ? "" : ", ").append(p.header());
    }
    return b.toString();
  }

  private static String unquote(String v) {
    return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
  }

  /** Window bits 8 to 15, or {@link #ABSENT} for anything else. */
  private static int bits(String value) {
    if (value == null || value.length() > 2 || value.isEmpty()) {
      return ABSENT;
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return ABSENT;
      }
    }
    int n = Integer.parseInt(value);
    return n >= 8 && n <= 15 ? n : ABSENT;
  }
}
