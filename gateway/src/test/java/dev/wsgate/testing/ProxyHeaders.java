package dev.wsgate.testing;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** PROXY protocol headers, v1 and v2, byte for byte, as a balancer in front of wsgate writes them. */
public final class ProxyHeaders {

  private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54,
      0x0A};

  private ProxyHeaders() {
  }

  /** The {@code server:} section of a test gateway on loopback whose listener has {@code proxy-protocol}. */
  public static String server(String proxyProtocol) {
    return "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  proxy-protocol: " + proxyProtocol + "\n";
  }

  /** {@code PROXY <rest>\r\n}, such as {@code TCP4 127.0.0.5 127.0.0.1 40001 8080}. */
  public static byte[] v1(String rest) {
    return ("PROXY " + rest + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** A v2 header, command PROXY, over TCP (IPv4 or IPv6, as the addresses are), without TLVs. */
  public static byte[] v2(String source, int sourcePort, String destination, int destinationPort) {
    byte[] src = literal(source);
    byte[] dst = literal(destination);
    ByteBuffer body = ByteBuffer.allocate(src.length + dst.length + 4);
    body.put(src).put(dst).putShort((short) sourcePort).putShort((short) destinationPort);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(V2_SIGNATURE);
    out.write(0x21); // version 2, PROXY
    out.write(src.length == 4 ? 0x11 : 0x21); // TCP over IPv4 or IPv6
    out.write(body.capacity() >> 8);
    out.write(body.capacity());
    out.writeBytes(body.array());
    return out.toByteArray();
  }

  /** A v2 header with command LOCAL (a balancer's own health check): no address. */
  public static byte[] v2Local() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(V2_SIGNATURE);
    out.writeBytes(new byte[] {0x20, 0x00, 0x00, 0x00});
    return out.toByteArray();
  }

  private static byte[] literal(String ip) {
    try {
      return InetAddress.getByName(ip).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ip, e);
    }
  }
}
