package dev.wsgate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Client sockets whose kernel options are set before they connect (what {@link RawWebSocket} cannot do), and the
 * WebSocket handshake on them. For tests about flow control, where the size of the client's TCP receive window
 * matters.
 */
public final class ClientSockets {

  private ClientSockets() {
  }

  /**
   * A socket connected to {@code address} with a receive buffer of about {@code receiveBufferBytes} (set before
   * connecting, so that the TCP window is negotiated with it and the kernel does not auto-tune it), reads bounded by
   * {@code readTimeout}.
   */
  public static Socket open(InetSocketAddress address, int receiveBufferBytes, Duration readTimeout)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setReceiveBufferSize(receiveBufferBytes);
      socket.connect(address, (int) RawWebSocket.READ_TIMEOUT.toMillis());
      socket.setSoTimeout((int) readTimeout.toMillis());
      socket.setTcpNoDelay(true);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Sends a WebSocket handshake request on {@code socket} and reads the answer, which must be a 101 with the right
   * {@code Sec-WebSocket-Accept}. Reads the head byte by byte from {@code in}, so that no frame is consumed.
   */
  public static WsWire.Head handshake(Socket socket, InputStream in, String pathAndQuery) throws IOException {
    String key = WsWire.newKey();
    String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
        + "Host: localhost:" + socket.getPort() + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
    WsWire.Head head = WsWire.readHead(in);
    if (head.status() != 101) {
      throw new IOException("expected 101, got " + head.startLine());
    }
    if (!WsWire.accept(key).equals(head.header("sec-websocket-accept"))) {
      throw new IOException("bad Sec-WebSocket-Accept: " + head.header("sec-websocket-accept"));
    }
    return head;
  }
}
