package dev.wsgate.config;

import java.net.InetAddress;
import java.util.Objects;

/**
 * A range of IP addresses, {@code server.trusted-proxies}' element: a CIDR block ({@code 10.0.0.0/8},
 * {@code fd00::/8}) or one address ({@code 192.0.2.1}, {@code ::1}). IPv4 ranges hold IPv4 addresses only, IPv6
 * ranges IPv6 addresses only (IPv4-mapped IPv6 addresses are read as IPv4: {@link IpAddresses}).
 *
 * @param network the first address of the range (no bit set past the prefix)
 * @param prefix  the prefix length: 0 to 32 for IPv4, 0 to 128 for IPv6
 */
public record AddressRange(InetAddress network, int prefix) {

  /** What a range is written as, for error messages. */
  static final String EXPECTED = "an IP address or a CIDR range, such as 10.0.0.0/8, 192.0.2.7 or fd00::/8";

  public AddressRange {
    Objects.requireNonNull(network, "network");
    int bits = network.getAddress().length * 8;
    if (prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException("prefix " + prefix + " of " + network);
    }
    if (!network.equals(masked(network, prefix))) {
      throw new IllegalArgumentException(network + " has bits set past /" + prefix);
    }
  }

  /** True when {@code address} is in the range; an IPv4 address is never in an IPv6 range, nor the reverse. */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    byte[] n = network.getAddress();
    if (a.length != n.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != n[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (n[full] & mask);
  }

  /**
   * The range {@code text} spells, or why it does not spell one: the text after {@code (expected: } in a
   * configuration error.
   */
  static Parsed parse(String text) {
    String t = text.strip();
    int slash = t.indexOf('/');
    String addressText = slash < 0 ? t : t.substring(0, slash);
    InetAddress address = IpAddresses.parse(addressText);
    if (address == null) {
      String why = addressText.indexOf('%') >= 0 ? "; without a zone (%name)"
          : addressText.chars().anyMatch(Character::isLetter) && addressText.indexOf(':') < 0
            ? "; host names are not resolved, write addresses" : "";
      return Parsed.error(EXPECTED + why);
    }
    if (IpAddresses.isMappedIpv4(addressText, address)) {
      return Parsed.error(EXPECTED + "; write an IPv4-mapped address as IPv4: " + IpAddresses.format(address)
          + (slash < 0 ? "" : "/(prefix - 96)"));
    }
    int bits = address.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String p = t.substring(slash + 1);
      if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
        return Parsed.error(EXPECTED + "; an " + (bits == 32 ? "IPv4" : "IPv6") + " prefix is 0 to " + bits);
      }
      prefix = Integer.parseInt(p);
    }
    InetAddress network = masked(address, prefix);
    if (!network.equals(address)) {
      return Parsed.error(EXPECTED + "; " + IpAddresses.format(address) + " has bits set past /" + prefix
          + ": did you mean " + IpAddresses.format(network) + "/" + prefix + "?");
    }
    return new Parsed(new AddressRange(network, prefix), null);
  }

  /** A range, or the rule it broke. */
  record Parsed(AddressRange range, String expected) {
    static Parsed error(String expected) {
      return new Parsed(null, expected);
    }
  }

  private static InetAddress masked(InetAddress address, int prefix) {
    byte[] b = address.getAddress();
    for (int i = 0; i < b.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      b[i] &= (byte) ((0xff << (8 - keep)) & 0xff);
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // 4 or 16 bytes are always an address
    }
  }

  /** {@code 10.0.0.0/8}, or the address alone for a range of one address. */
  @Override
  public String toString() {
    String a = IpAddresses.format(network);
    return prefix == network.getAddress().length * 8 ? a : a + "/" + prefix;
  }
}
