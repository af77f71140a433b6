package dev.wsgate.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP address literals, read without ever asking DNS: IPv4 as four decimal numbers without leading zeros, IPv6 in any of its textual forms
 * (IPv4-mapped ones, {@code ::ffff:a.b.c.d}, come out as the IPv4 address). Zones ({@code %eth0}) are refused.
 */
public final class IpAddresses {
  private IpAddresses() {
  }

  /** The address {@code text} spells, or null when it is not an IP literal. */
  public static InetAddress parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 45 || text.indexOf('%') >= 0) {
      return null;
    }
    if (text.indexOf(':') < 0) {
      return ipv4(text);
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
        return null;
      }
    }
    try {
      // Brackets make the JDK read an IPv6 literal or fail, never resolve a name.
      return InetAddress.getByName("[" + text + "]");
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** True for an IPv6 literal that the JDK reads as IPv4 ({@code ::ffff:a.b.c.d}). */
  static boolean isMappedIpv4(String text, InetAddress parsed) {
    return text.indexOf(':') >= 0 && parsed instanceof Inet4Address;
  }

  private static InetAddress ipv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      // No leading zero: 010 is 8 to some readers (inet_aton) and 10 to others.
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
          || p.length() > 1 && p.charAt(0) == '0') {
        return null;
      }
      int n = Integer.parseInt(p);
      if (n > 255) {
        return null;
      }
      bytes[i] = (byte) n;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null; // four bytes are always an address
    }
  }

  /**
   * The address as wsgate writes it: dotted IPv4, or IPv6 in RFC 5952's form (lower case, the longest run of two or
   * more zero groups, the first of equal runs, as {@code ::}).
   */
  public static String format(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return address.getHostAddress();
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder s = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLength - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(groups[i]));
    }
    return s.toString();
  }
}
