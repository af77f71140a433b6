package dev.wsgate.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link RawWebSocket} client that stays quiet but alive: a thread reads every frame as it comes and answers pings
 * at once (as a browser does), so the test can wait through a quiet period while the other side pings, and still see
 * exactly what arrived and when the connection ended. Writes from the test and pongs from the reader share one lock,
 * so their frames never interleave on the wire.
 */
public final class PingAnsweringClient implements Closeable {

  /** How long one read may block; far longer than any quiet period a test holds, so it never ends a session. */
  private static final Duration READ_BLOCK = Duration.ofSeconds(60);

  private final RawWebSocket ws;
  private final Object writeLock = new Object();
  private final BlockingQueue<WsFrame> data = new LinkedBlockingQueue<>();
  private final List<WsFrame> all = new ArrayList<>();
  private final Thread reader;
  private volatile int pingsAnswered;
  private volatile IOException end;
  private volatile long endedAtNanos;

  private PingAnsweringClient(RawWebSocket ws) throws IOException {
    this.ws = ws;
    ws.socket().setSoTimeout((int) READ_BLOCK.toMillis());
    this.reader = new Thread(this::readLoop, "ping-answering-client-" + ws.socket().getLocalPort());
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /** Connects (the handshake must succeed) and starts reading. */
  public static PingAnsweringClient connect(InetSocketAddress address, String pathAndQuery, Map<String, String> headers)
      throws IOException {
    return new PingAnsweringClient(RawWebSocket.connect(address, pathAndQuery, headers));
  }

  private void readLoop() {
    try {
      while (true) {
        WsFrame f = ws.read();
        synchronized (all) {
          all.add(f);
        }
        if (f.opcode() == WsFrame.PING) {
          synchronized (writeLock) {
            ws.send(true, WsFrame.PONG, f.payload());
          }
          pingsAnswered++;
        } else if (f.opcode() != WsFrame.PONG) {
          data.add(f);
        }
      }
    } catch (IOException e) {
      endedAtNanos = System.nanoTime();
      end = e;
    }
  }

  public RawWebSocket socket() {
    return ws;
  }

  /** True while the reader has not seen the connection end (EOF, reset or a read error). */
  public boolean open() {
    return end == null;
  }

  /** How the reading ended ({@code EOFException}: the peer closed TCP), or null while it goes on. */
  public IOException end() {
    return end;
  }

  /** {@link System#nanoTime()} when the reading ended, 0 while it goes on. */
  public long endedAtNanos() {
    return endedAtNanos;
  }

  /** Waits, at most {@code timeout}, for the connection to end; true when it did. */
  public boolean awaitEnd(Duration timeout) throws InterruptedException {
    reader.join(Math.max(1, timeout.toMillis()));
    return end != null;
  }

  public int pingsAnswered() {
    return pingsAnswered;
  }

  /** Every frame read so far, pings and pongs included, in order. */
  public List<WsFrame> frames() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  /** The next frame that is not a ping or pong, waiting at most {@code timeout}. */
  public WsFrame nextData(Duration timeout) throws InterruptedException, IOException {
    WsFrame f = data.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (f == null) {
      IOException e = end;
      if (e != null) {
        throw new IOException("the connection ended before a data frame arrived: " + e, e);
      }
      throw new SocketTimeoutException("no data frame within " + timeout);
    }
    return f;
  }

  public void sendText(String text) throws IOException {
    synchronized (writeLock) {
      ws.sendText(text);
    }
  }

  public void sendClose(int code, String reason) throws IOException {
    synchronized (writeLock) {
      ws.sendClose(code, reason);
    }
  }

  /** Closes the socket, which ends the reader, and waits (bounded) for it. */
  @Override
  public void close() throws IOException {
    ws.close();
    try {
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
