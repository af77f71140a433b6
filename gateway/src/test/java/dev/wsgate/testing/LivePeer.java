package dev.wsgate.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a test peer alive in the background, as a real WebSocket peer is: one daemon thread reads every frame,
 * answers each ping with a pong at once, and queues every frame (pings included) for the test. A peer that would
 * answer its heartbeat is what makes a test about silent death meaningful: it is evicted only because the path
 * died, not because it was deaf.
 *
 * <p>While it answers, the test writes on the connection only through {@link #sendText}, which never cuts into a
 * pong, or after {@link #stopAnswering()}.
 * Reading ends with the first exception (end of stream, reset, the socket's read timeout), kept for
 * {@link #awaitEnd}.
 */
public final class LivePeer implements AutoCloseable {

  /** What a peer reads from and writes to. */
  interface Wire {
    WsFrame read() throws IOException;

    void send(int opcode, byte[] payload) throws IOException;
  }

  private final Wire wire;
  private final Thread thread;
  private final LinkedBlockingQueue<Arrival> frames = new LinkedBlockingQueue<>();
  private final AtomicInteger pongs = new AtomicInteger();
  private final CountDownLatch ended = new CountDownLatch(1);
  private boolean answering = true; // guarded by this
  private volatile Throwable end;
  private volatile Arrival closeArrival;

  private LivePeer(Wire wire, String name) {
    this.wire = wire;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** A client that answers pings. */
  public static LivePeer of(RawWebSocket client) {
    return new LivePeer(new Wire() {
      @Override
      public WsFrame read() throws IOException {
        return client.read();
      }

      @Override
      public void send(int opcode, byte[] payload) throws IOException {
        client.send(true, opcode, payload);
      }
    }, "live-client-" + client.socket().getLocalPort());
  }

  /** An upstream connection that answers pings. */
  public static LivePeer of(RawUpstream.Conn upstream) {
    return new LivePeer(new Wire() {
      @Override
      public WsFrame read() throws IOException {
        return upstream.read();
      }

      @Override
      public void send(int opcode, byte[] payload) throws IOException {
        upstream.send(true, opcode, payload);
      }
    }, "live-upstream-" + upstream.socket().getLocalPort() + "-" + upstream.socket().getPort());
  }

  private void run() {
    try {
      while (true) {
        WsFrame f = wire.read();
        Arrival a = new Arrival(f, System.nanoTime());
        if (f.opcode() == WsFrame.CLOSE && closeArrival == null) {
          closeArrival = a;
        }
        frames.add(a);
        if (f.opcode() == WsFrame.PING) {
          synchronized (this) {
            if (answering) {
              wire.send(WsFrame.PONG, f.payload());
              pongs.incrementAndGet();
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      end = e;
    } finally {
      ended.countDown();
    }
  }

  /**
   * From now on, pings are only queued, not answered: to look at what a dead peer was sent once it is reachable, or to
   * let the test write on the connection itself. When this returns, no pong is being written and none will be.
   */
  public synchronized void stopAnswering() {
    answering = false;
  }

  /**
   * Sends a text message, never in the middle of a pong: the way for a test to write while this peer answers pings.
   */
  public synchronized void sendText(String text) throws IOException {
    wire.send(WsFrame.TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends a binary message, never in the middle of a pong. */
  public synchronized void sendBinary(byte[] payload) throws IOException {
    wire.send(WsFrame.BINARY, payload);
  }

  /** The first close frame received and when, or null before one came (whether or not it was taken). */
  public Arrival closeArrival() {
    return closeArrival;
  }

  public int pongsSent() {
    return pongs.get();
  }

  /** The frames received and not yet taken. */
  public int queued() {
    return frames.size();
  }

  /** A frame and the {@link System#nanoTime()} of its arrival. */
  public record Arrival(WsFrame frame, long nanos) {
  }

  /** The next frame received (pings included), waiting at most {@code timeout}. */
  public Arrival take(Duration timeout) throws InterruptedException {
    Arrival a = frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (a == null) {
      throw new AssertionError("no frame within " + timeout + (end != null ? "; reading ended with " + end : ""));
    }
    return a;
  }

  /** The next frame that is not a ping or pong, waiting at most {@code timeout} in all. */
  public Arrival takeData(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Arrival a = take(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      if (a.frame().opcode() != WsFrame.PING && a.frame().opcode() != WsFrame.PONG) {
        return a;
      }
    }
  }

  /** The next frame received (pings included), waiting at most {@code timeout}. */
  public WsFrame next(Duration timeout) throws InterruptedException {
    return take(timeout).frame();
  }

  /** The next frame that is not a ping or pong, waiting at most {@code timeout} in all. */
  public WsFrame nextData(Duration timeout) throws InterruptedException {
    return takeData(timeout).frame();
  }

  /** True while reading has not ended (no end of stream, no reset, no read timeout yet). */
  public boolean reading() {
    return ended.getCount() > 0;
  }

  /** The exception that ended reading, waiting at most {@code timeout} for it. */
  public Throwable awaitEnd(Duration timeout) throws InterruptedException {
    if (!ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new AssertionError("the peer was still reading after " + timeout);
    }
    return end;
  }

  /** Stops answering; the thread ends with its connection (close that). */
  @Override
  public void close() {
    stopAnswering();
  }
}
