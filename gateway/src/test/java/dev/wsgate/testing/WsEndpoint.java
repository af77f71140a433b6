package dev.wsgate.testing;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One end of a WebSocket connection over a plain socket, for tests: what the raw client ({@link RawWebSocket}) and
 * the raw upstream's connections ({@link RawUpstream.Conn}) share. Every read is bounded by the socket's timeout.
 */
public abstract class WsEndpoint implements Closeable {

  private final Socket socket;
  private final InputStream in;

  WsEndpoint(Socket socket, InputStream in) {
    this.socket = socket;
    this.in = in;
  }

  public Socket socket() {
    return socket;
  }

  /** Whether frames from this end are masked: a client's are, a server's are not. */
  abstract boolean masks();

  /** Any frame: unmasked, reserved bits, reserved opcodes. */
  public abstract void sendRaw(boolean fin, int rsv, int opcode, byte[] payload, boolean mask) throws IOException;

  public void send(boolean fin, int opcode, byte[] payload) throws IOException {
    sendRaw(fin, 0, opcode, payload, masks());
  }

  public void sendText(String text) throws IOException {
    send(true, WsFrame.TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  public void sendClose(int code, String reason) throws IOException {
    send(true, WsFrame.CLOSE, WsWire.closePayload(code, reason));
  }

  /** Writes bytes as they are: frames made by hand, masking keys and all. */
  public void sendBytes(byte[] wire) throws IOException {
    socket.getOutputStream().write(wire);
    socket.getOutputStream().flush();
  }

  /** The next {@code length} bytes as they came, waiting at most the socket's timeout for each read. */
  public byte[] readBytes(int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new EOFException("the connection ended after " + bytes.length + " of " + length + " bytes");
    }
    return bytes;
  }

  /** The next frame, unmasked, waiting at most the socket's timeout. */
  public WsFrame read() throws IOException {
    return WsWire.readFrame(in);
  }

  /** The next frame that is not a ping or pong (pings are answered, as a peer must). */
  public WsFrame readData() throws IOException {
    while (true) {
      WsFrame f = read();
      if (f.opcode() == WsFrame.PING) {
        answer(f.payload());
      } else if (f.opcode() != WsFrame.PONG) {
        return f;
      }
    }
  }

  /**
   * Answers a ping. A ping read late, after the other end has completed its close handshake and closed the
   * connection (it was sent before the close frame that follows it), gets no pong: the write fails as it would for
   * any peer, and what matters to the test, the frames and the end that follow, is read and checked as before.
   */
  private void answer(byte[] payload) throws IOException {
    try {
      send(true, WsFrame.PONG, payload);
    } catch (SocketException e) {
      // the other end is gone; the next read says how it ended
    }
  }

  /** Reads until a close frame (answering pings), and returns it. */
  public WsFrame readClose() throws IOException {
    while (true) {
      WsFrame f = readData();
      if (f.opcode() == WsFrame.CLOSE) {
        return f;
      }
    }
  }

  /** True when the other end closes the TCP connection within {@code timeout} (frames meanwhile are dropped). */
  public boolean awaitEof(Duration timeout) throws IOException {
    int previous = socket.getSoTimeout();
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    try {
      while (true) {
        WsWire.readFrame(in);
      }
    } catch (EOFException | SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } finally {
      if (!socket.isClosed()) {
        socket.setSoTimeout(previous);
      }
    }
  }

  /**
   * The whole close of a session from the client's side, as conforming peers do it: the client's close, the
   * upstream's answer, the upstream (the server on its leg) closing TCP, the answer reaching the client.
   */
  public static void closeCleanly(RawWebSocket client, RawUpstream.Conn upstream) throws IOException {
    client.sendClose(1000, "");
    upstream.readClose();
    upstream.sendClose(1000, "");
    upstream.close();
    client.readClose();
  }

  /** Closes TCP with a reset instead of a FIN. */
  public void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
