package dev.wsgate.testing;

import java.io.IOException;
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
 * <p>While it runs, it is the only writer on its connection (it writes pongs): the test writes before starting it.
 * Reading ends with the first exception (end of stream, reset, the socket's read timeout), kept for
 * {@link #awaitEnd}.
 */
public final class LivePeer implements AutoCloseable {

  /** What a peer reads from and writes pongs to. */
  interface Wire {
    WsFrame read() throws IOException;

    void pong(byte[] payload) throws IOException;
  }

  private final Wire wire;
  private final Thread thread;
  private final LinkedBlockingQueue<WsFrame> frames = new LinkedBlockingQueue<>();
  private final AtomicInteger pongs = new AtomicInteger();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile boolean answering = true;
  private volatile Throwable end;

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
      public void pong(byte[] payload) throws IOException {
        client.send(true, WsFrame.PONG, payload);
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
      public void pong(byte[] payload) throws IOException {
        upstream.send(true, WsFrame.PONG, payload);
      }
    }, "live-upstream-" + upstream.socket().getLocalPort() + "-" + upstream.socket().getPort());
  }

  private void run() {
    try {
      while (true) {
        WsFrame f = wire.read();
        frames.add(f);
        if (f.opcode() == WsFrame.PING && answering) {
          wire.pong(f.payload());
          pongs.incrementAndGet();
        }
      }
    } catch (IOException | RuntimeException e) {
      end = e;
    } finally {
      ended.countDown();
    }
  }

  /** From now on, pings are only queued, not answered (to look at what a dead peer was sent, once it is reachable). */
  public void stopAnswering() {
    answering = false;
  }

  public int pongsSent() {
    return pongs.get();
  }

  /** The frames received and not yet taken. */
  public int queued() {
    return frames.size();
  }

  /** The next frame received (pings included), waiting at most {@code timeout}. */
  public WsFrame next(Duration timeout) throws InterruptedException {
    WsFrame f = frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (f == null) {
      throw new AssertionError("no frame within " + timeout + (end != null ? "; reading ended with " + end : ""));
    }
    return f;
  }

  /** The next frame that is not a ping or pong, waiting at most {@code timeout} in all. */
  public WsFrame nextData(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      WsFrame f = next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      if (f.opcode() != WsFrame.PING && f.opcode() != WsFrame.PONG) {
        return f;
      }
    }
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
    answering = false;
  }
}
