package dev.wsgate.testing;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.function.Function;

/**
 * An upstream WebSocket server over plain sockets, driven by the test: it accepts connections on a loopback port,
 * answers each handshake as told, and hands each connection to the test (or runs an echo loop on it). Every read is
 * bounded by a timeout.
 */
public final class RawUpstream implements Closeable {

  /** How the upstream answers a handshake request. */
  public interface Answer {
    /** 101, choosing a subprotocol from the client's list (null for none). */
    static Answer upgrade(Function<String, String> chooseSubprotocol) {
      return new Upgrade(chooseSubprotocol);
    }

    static Answer upgrade() {
      return new Upgrade(offered -> null);
    }

    /** 101 with further response headers, such as an extension nobody offered. */
    static Answer upgradeWith(Map<String, String> headers) {
      return new Upgrade(offered -> null, headers);
    }

    /** An HTTP error instead of 101. */
    static Answer reject(int status) {
      return new Reject(status);
    }

    /** Reads the request and never answers. */
    static Answer silence() {
      return new Silence();
    }

    /** Reads the request, writes {@code response} as it is (a broken answer, say), and closes the connection. */
    static Answer raw(String response) {
      return new Raw(response);
    }
  }

  record Raw(String response) implements Answer {
  }

  record Upgrade(Function<String, String> chooseSubprotocol, Map<String, String> headers) implements Answer {
    Upgrade(Function<String, String> chooseSubprotocol) {
      this(chooseSubprotocol, Map.of());
    }
  }

  record Reject(int status) implements Answer {
  }

  record Silence() implements Answer {
  }

  private final ServerSocket server;
  private final Answer answer;
  private final boolean echo;
  private final BlockingQueue<Conn> accepted = new LinkedBlockingQueue<>();
  private final CopyOnWriteArrayList<Conn> all = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  private RawUpstream(Answer answer, boolean echo, int receiveBuffer) throws IOException {
    this.server = new ServerSocket();
    if (receiveBuffer > 0) {
      server.setReceiveBufferSize(receiveBuffer); // before bind: accepted sockets get it, and their window with it
    }
    server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    this.answer = answer;
    this.echo = echo;
    this.acceptor = new Thread(this::acceptLoop, "raw-upstream-" + server.getLocalPort());
    this.acceptor.setDaemon(true);
    this.acceptor.start();
  }

  /** An upstream whose connections the test drives, taken from {@link #take()}. */
  public static RawUpstream start(Answer answer) throws IOException {
    return new RawUpstream(answer, false, 0);
  }

  /**
   * An upstream like {@link #start(Answer)} whose connections have a TCP receive buffer of about
   * {@code receiveBufferBytes}, for tests about flow control.
   */
  public static RawUpstream start(Answer answer, int receiveBufferBytes) throws IOException {
    return new RawUpstream(answer, false, receiveBufferBytes);
  }

  /** An upstream that upgrades and echoes every data frame as it came, answers pings and closes. */
  public static RawUpstream echo() throws IOException {
    return new RawUpstream(Answer.upgrade(), true, 0);
  }

  public int port() {
    return server.getLocalPort();
  }

  public URI uri() {
    return URI.create("ws://127.0.0.1:" + port());
  }

  /** The next accepted (and answered) connection, waiting at most 10 s. */
  public Conn take() throws InterruptedException {
    Conn c = accepted.poll(10, TimeUnit.SECONDS);
    if (c == null) {
      throw new AssertionError("no connection reached the upstream on port " + port() + " within 10 s");
    }
    return c;
  }

  /** The next accepted connection, or null when none comes within {@code timeout}. */
  public Conn poll(Duration timeout) throws InterruptedException {
    return accepted.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.setSoTimeout((int) RawWebSocket.READ_TIMEOUT.toMillis());
        s.setTcpNoDelay(true);
        Thread t = new Thread(() -> serve(s), "raw-upstream-conn-" + s.getPort());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try {
      InputStream in = new BufferedInputStream(s.getInputStream(), 65_536);
      WsWire.Head request = WsWire.readHead(in);
      OutputStream out = s.getOutputStream();
      Conn conn = new Conn(s, in, out, request);
      all.add(conn);
      if (answer instanceof Reject) {
        int status = ((Reject) answer).status();
        String body = "rejected by test upstream\n";
        out.write(("HTTP/1.1 " + status + " Test\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n"
            + body).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        accepted.add(conn);
        s.close();
        return;
      }
      if (answer instanceof Raw) {
        out.write(((Raw) answer).response().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        accepted.add(conn);
        s.close();
        return;
      }
      if (answer instanceof Silence) {
        accepted.add(conn);
        return;
      }
      String offered = request.header("sec-websocket-protocol");
      Upgrade upgrade = (Upgrade) answer;
      String chosen = upgrade.chooseSubprotocol().apply(offered);
      StringBuilder head = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + WsWire.accept(request.header("sec-websocket-key"))
          + "\r\n");
      if (chosen != null) {
        head.append("Sec-WebSocket-Protocol: ").append(chosen).append("\r\n");
      }
      upgrade.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      if (echo) {
        conn.echoLoop();
      } else {
        accepted.add(conn);
      }
    } catch (IOException e) {
      // The test decides what a failed connection means; the socket is not kept.
      try {
        s.close();
      } catch (IOException ignored) {
        // closed already
      }
    }
  }

  /** Closes every connection accepted so far (the test's ends of them); the upstream goes on accepting. */
  public void closeConnections() throws IOException {
    for (Conn c : all) {
      c.close();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Conn c : all) {
      c.close();
    }
  }

  /** One upstream connection, after its handshake answer. */
  public static final class Conn extends WsEndpoint {
    private final OutputStream out;
    private final WsWire.Head request;

    Conn(Socket socket, InputStream in, OutputStream out, WsWire.Head request) {
      super(socket, in);
      this.out = out;
      this.request = request;
    }

    /** The handshake request wsgate sent. */
    public WsWire.Head request() {
      return request;
    }

    @Override
    boolean masks() {
      return false;
    }

    @Override
    public void sendRaw(boolean fin, int rsv, int opcode, byte[] payload, boolean mask) throws IOException {
      synchronized (out) {
        WsWire.writeFrame(out, fin, rsv, opcode, payload, mask);
      }
    }

    void echoLoop() throws IOException {
      socket().setSoTimeout(0); // an echo waits as long as its client; closing the upstream ends it
      while (true) {
        WsFrame f;
        try {
          f = read();
        } catch (EOFException | SocketException gone) {
          socket().close();
          return;
        }
        switch (f.opcode()) {
          case WsFrame.PING -> send(true, WsFrame.PONG, f.payload());
          case WsFrame.PONG -> { }
          case WsFrame.CLOSE -> {
            send(true, WsFrame.CLOSE, f.payload());
            socket().close();
            return;
          }
          default -> send(f.fin(), f.opcode(), f.payload());
        }
      }
    }
  }
}
