package dev.wsgate.config;

import java.util.Objects;

/**
 * A local address to listen on, written {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code :PORT} (every interface).
 * Port {@code 0} asks the system for a free port.
 *
 * @param host a host name or an IP literal, without brackets
 * @param port 0 to 65535
 */
public record ListenAddress(String host, int port) {

  /** The host that {@code :PORT} stands for: every IPv4 interface. */
  public static final String ANY_HOST = "0.0.0.0";

  public ListenAddress {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port " + port);
    }
  }

  /** True for {@code 0.0.0.0} and {@code ::}, which take the port on every interface. */
  public boolean isWildcard() {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
  }

  /**
   * True when binding both addresses would fail because they take the same port on a shared interface. Two
   * addresses with port 0 never conflict: each gets its own free port.
   */
  public boolean conflictsWith(ListenAddress other) {
    if (port == 0 || port != other.port) {
      return false;
    }
    return isWildcard() || other.isWildcard() || host.equalsIgnoreCase(other.host);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
