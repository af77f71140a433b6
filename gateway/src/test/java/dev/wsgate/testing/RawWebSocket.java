package dev.wsgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A WebSocket client over a plain socket, byte by byte: any frame, masked or not, any opcode, and every read
 * bounded by a timeout. The one client for tests about the protocol itself.
 */
public final class RawWebSocket extends WsEndpoint {

  /** Every read waits at most this long unless a test says otherwise. */
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  private final OutputStream out;
  private final WsWire.Head response;

  private RawWebSocket(Socket socket, WsWire.Head response) throws IOException {
    super(socket, new java.io.BufferedInputStream(socket.getInputStream(), 65_536));
    this.out = socket.getOutputStream();
    this.response = response;
  }

  /** Connects and completes a handshake that must succeed (101). */
  public static RawWebSocket connect(InetSocketAddress address, String pathAndQuery) throws IOException {
    return connect(address, pathAndQuery, Map.of());
  }

  public static RawWebSocket connect(InetSocketAddress address, String pathAndQuery, Map<String, String> headers)
      throws IOException {
    return connect(address, pathAndQuery, headers, new byte[0]);
  }

  /**
   * Connects and completes a handshake that must succeed (101), writing {@code afterHead} (frames, say) in the same
   * write as the request head, before any answer.
   */
  public static RawWebSocket connect(InetSocketAddress address, String pathAndQuery, Map<String, String> headers,
      byte[] afterHead) throws IOException {
    return handshake(open(address), new byte[0], pathAndQuery, headers, afterHead);
  }

  /**
   * Completes a handshake that must succeed (101) on a connected {@code socket}, writing {@code beforeHead} (a PROXY
   * protocol header, say) in the same write, before the request head.
   */
  public static RawWebSocket handshake(Socket socket, byte[] beforeHead, String pathAndQuery,
      Map<String, String> headers) throws IOException {
    return handshake(socket, beforeHead, pathAndQuery, headers, new byte[0]);
  }

  private static RawWebSocket handshake(Socket socket, byte[] beforeHead, String pathAndQuery,
      Map<String, String> headers, byte[] afterHead) throws IOException {
    String key = WsWire.newKey();
    Map<String, String> all = new LinkedHashMap<>();
    all.put("Host", "localhost:" + socket.getPort());
    all.put("Upgrade", "websocket");
    all.put("Connection", "Upgrade");
    all.put("Sec-WebSocket-Key", key);
    all.put("Sec-WebSocket-Version", "13");
    all.putAll(headers);
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(beforeHead);
    writeRequest(request, "GET " + pathAndQuery + " HTTP/1.1", all);
    request.write(afterHead);
    socket.getOutputStream().write(request.toByteArray());
    socket.getOutputStream().flush();
    WsWire.Head head = WsWire.readHead(socket.getInputStream());
    if (head.status() != 101) {
      socket.close();
      throw new IOException("expected 101, got " + head.startLine());
    }
    if (!WsWire.accept(key).equals(head.header("sec-websocket-accept"))) {
      socket.close();
      throw new IOException("bad Sec-WebSocket-Accept: " + head.header("sec-websocket-accept"));
    }
    return new RawWebSocket(socket, head);
  }

  /** Sends one request (the head as given, and no body) and reads the response head and body until EOF. */
  public static Response request(InetSocketAddress address, String requestLine, Map<String, String> headers)
      throws IOException {
    return exchange(address, head(requestLine, headers));
  }

  /**
   * Sends {@code request} as it is, byte for byte (a request head, and whatever follows it), and reads the response
   * head and, unless it is a 101, the body until EOF.
   */
  public static Response exchange(InetSocketAddress address, byte[] request) throws IOException {
    try (Socket socket = open(address)) {
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      WsWire.Head head = WsWire.readHead(socket.getInputStream());
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (head.status() != 101) {
        try {
          socket.getInputStream().transferTo(body);
        } catch (SocketException reset) {
          // the body so far is enough
        }
      }
      return new Response(head, body.toString(StandardCharsets.UTF_8));
    }
  }

  /** A handshake request head, as {@link #request} writes it, for {@link #exchange}. */
  public static byte[] head(String requestLine, Map<String, String> headers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeRequest(out, requestLine, headers);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** An HTTP response head and its body. */
  public record Response(WsWire.Head head, String body) {
    public int status() {
      return head.status();
    }
  }

  /** A handshake request as a browser would send it, for {@link #request}. */
  public static Map<String, String> handshakeHeaders(InetSocketAddress address) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", "localhost:" + address.getPort());
    h.put("Upgrade", "websocket");
    h.put("Connection", "Upgrade");
    h.put("Sec-WebSocket-Key", WsWire.newKey());
    h.put("Sec-WebSocket-Version", "13");
    return h;
  }

  public static Socket open(InetSocketAddress address) throws IOException {
    return open(address, null);
  }

  /** A connection from {@code local} (any free port on it; null: wherever the system picks). */
  public static Socket open(InetSocketAddress address, java.net.InetAddress local) throws IOException {
    Socket socket = new Socket();
    if (local != null) {
      socket.bind(new InetSocketAddress(local, 0));
    }
    socket.connect(address, (int) READ_TIMEOUT.toMillis());
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    socket.setTcpNoDelay(true);
    return socket;
  }

  private static void writeRequest(OutputStream out, String requestLine, Map<String, String> headers)
      throws IOException {
    StringBuilder b = new StringBuilder(requestLine).append("\r\n");
    headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
    b.append("\r\n");
    out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  public WsWire.Head response() {
    return response;
  }

  // ----------------------------------------------------------------------------------------------- sending

  public void sendBinary(byte[] data) throws IOException {
    send(true, WsFrame.BINARY, data);
  }

  /** A close frame without a code. */
  public void sendEmptyClose() throws IOException {
    send(true, WsFrame.CLOSE, new byte[0]);
  }

  public void sendPing(byte[] payload) throws IOException {
    send(true, WsFrame.PING, payload);
  }

  @Override
  boolean masks() {
    return true;
  }

  /** Any frame: unmasked, reserved bits, reserved opcodes. */
  @Override
  public void sendRaw(boolean fin, int rsv, int opcode, byte[] payload, boolean mask) throws IOException {
    WsWire.writeFrame(out, fin, rsv, opcode, payload, mask);
  }

  // ----------------------------------------------------------------------------------------------- reading
}
