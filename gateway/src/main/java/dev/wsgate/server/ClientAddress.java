package dev.wsgate.server;

import dev.wsgate.config.AddressRange;
import dev.wsgate.config.ClientAddressHeader;
import dev.wsgate.config.IpAddresses;
import dev.wsgate.proxy.UpstreamRequest;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's address of one handshake, as wsgate logs it ({@code client} in the access log and {@code /sessions}).
 *
 * <p>The connection's peer is the address the PROXY protocol header carried, when the listener takes one
 * ({@code server.proxy-protocol}) and one came, else the TCP peer. When the peer is in {@code server.trusted-proxies},
 * the {@code server.client-address-header} it sent is believed: its entries are walked from the right, each trusted
 * one skipped, and the first untrusted one is the client; when every entry is trusted, the left-most one is. An entry
 * that is no IP address ({@code unknown}, an obfuscated {@code _name}, garbage) ends the walk at the last trusted hop,
 * the one that saw it. From a peer that is not trusted (or with no trusted proxies) the header is not believed and
 * the peer is the client. This is nginx's {@code real_ip_recursive on} with {@code set_real_ip_from}.
 *
 * @param ip   the address, IPv4 dotted or IPv6 as RFC 5952 writes it; or what the peer address was when it is no IP
 *             literal
 * @param port the port, or 0 when unknown (an {@code X-Forwarded-For} entry has none)
 */
record ClientAddress(String ip, int port) {

  /** {@code ip:port}, {@code [ip]:port} for IPv6, or the address alone when the port is unknown. */
  String display() {
    if (port == 0) {
      return ip;
    }
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
  }

  /** The peer of the connection itself: the PROXY header's source, or the TCP peer. */
  static ClientAddress peer(SocketAddress address) {
    if (address instanceof InetSocketAddress a) {
      // Reactor Netty gives the PROXY header's source unresolved: its host string is the literal.
      InetAddress ip = a.getAddress() != null ? a.getAddress() : IpAddresses.parse(a.getHostString());
      return new ClientAddress(ip != null ? IpAddresses.format(ip) : a.getHostString(), a.getPort());
    }
    return new ClientAddress(String.valueOf(address), 0);
  }

  /**
   * The client behind {@code peer}: the peer itself, or, when it is a trusted proxy, the right-most untrusted entry
   * of {@code header} in {@code headers}.
   */
  static ClientAddress of(ClientAddress peer, HttpHeaders headers, List<AddressRange> trusted,
      ClientAddressHeader header) {
    if (trusted.isEmpty() || !isTrusted(IpAddresses.parse(peer.ip()), trusted)) {
      return peer;
    }
    List<String> entries = header == ClientAddressHeader.FORWARDED ? forwardedFor(headers)
        : xForwardedFor(headers);
    ClientAddress current = peer;
    for (int i = entries.size() - 1; i >= 0; i--) {
      Node node = Node.parse(entries.get(i));
      if (node == null) {
        return current;
      }
      current = new ClientAddress(IpAddresses.format(node.ip()), node.port());
      if (!isTrusted(node.ip(), trusted)) {
        return current;
      }
    }
    return current;
  }

  private static boolean isTrusted(InetAddress ip, List<AddressRange> trusted) {
    if (ip == null) {
      return false;
    }
    for (AddressRange r : trusted) {
      if (r.contains(ip)) {
        return true;
      }
    }
    return false;
  }

  /** The entries of every {@code X-Forwarded-For} line, left to right, blank ones left out. */
  static List<String> xForwardedFor(HttpHeaders headers) {
    List<String> out = new ArrayList<>();
    for (String line : headers.getAll(UpstreamRequest.X_FORWARDED_FOR)) {
      for (String entry : line.split(",", -1)) {
        String e = entry.strip();
        if (!e.isEmpty()) {
          out.add(e);
        }
      }
    }
    return out;
  }

  /**
   * The {@code for=} value of each element of every {@code Forwarded} line (RFC 7239), left to right, unquoted; an
   * element without one, or that does not parse, gives an empty entry, which is no address.
   */
  static List<String> forwardedFor(HttpHeaders headers) {
    List<String> out = new ArrayList<>();
    for (String line : headers.getAll(UpstreamRequest.FORWARDED_HEADER)) {
      for (String element : splitOutsideQuotes(line, ',')) {
        if (element.isBlank()) {
          continue;
        }
        String value = "";
        for (String pair : splitOutsideQuotes(element, ';')) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).strip().equalsIgnoreCase("for")) {
            value = unquote(pair.substring(eq + 1).strip());
            break;
          }
        }
        out.add(value == null ? "" : value);
      }
    }
    return out;
  }

  /** The parts of {@code s} between {@code separator}s that are not inside a quoted string. */
  private static List<String> splitOutsideQuotes(String s, char separator) {
    List<String> parts = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == separator && !quoted) {
        parts.add(s.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(s.substring(start));
    return parts;
  }

  /** A token as it is, a quoted string without its quotes and escapes; null for a broken quoted string. */
  private static String unquote(String v) {
    if (v.isEmpty() || v.charAt(0) != '"') {
      return v;
    }
    if (v.length() < 2 || v.charAt(v.length() - 1) != '"') {
      return null;
    }
    StringBuilder b = new StringBuilder(v.length());
    for (int i = 1; i < v.length() - 1; i++) {
      char c = v.charAt(i);
      if (c == '\\' && i + 1 < v.length() - 1) {
        c = v.charAt(++i);
      }
      b.append(c);
    }
    return b.toString();
  }

  /** One entry read as an address: {@code 192.0.2.1}, {@code 192.0.2.1:4711}, {@code 2001:db8::1}, {@code [2001:db8::1]:4711}. */
  private record Node(InetAddress ip, int port) {

    /** The entry's address and port (0 when it has none, or an obfuscated one), or null when it is no address. */
    static Node parse(String entry) {
      String host = entry;
      String port = null;
      if (entry.startsWith("[")) {
        int close = entry.indexOf(']');
        if (close < 0) {
          return null;
        }
        host = entry.substring(1, close);
        String rest = entry.substring(close + 1);
        if (!rest.isEmpty()) {
          if (rest.charAt(0) != ':') {
            return null;
          }
          port = rest.substring(1);
        }
      } else if (entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
        host = entry.substring(0, entry.indexOf(':'));
        port = entry.substring(entry.indexOf(':') + 1);
      }
      InetAddress ip = IpAddresses.parse(host);
      if (ip == null) {
        return null;
      }
      return new Node(ip, port(port));
    }

    private static int port(String text) {
      if (text == null || !text.matches("\\d{1,5}")) {
        return 0;
      }
      int p = Integer.parseInt(text);
      return p <= 65_535 ? p : 0;
    }
  }
}
