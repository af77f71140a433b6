package dev.wsgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP relay on {@code 127.0.0.1:0} in front of a target address, that can make the path die silently: after
 * {@link #blackhole()} (or {@link Link#blackhole()} for one connection) it keeps both sockets of every connection open
 * but forwards nothing in either direction, and no FIN and no RST goes to either side. This is what a dead NAT entry,
 * a pulled cable or a sleeping laptop looks like to the two ends: silence, and no error for a long time.
 *
 * <h2>Why it stops reading, rather than reading and discarding</h2>
 * On a dead path nothing the sender writes is acknowledged: it piles up in the sender's socket buffer, then in the
 * sender's own memory, and the sender's writes stall; nothing tells it the peer is gone. A relay that stops reading
 * reproduces that: once the relay's (loopback) receive buffer is full the TCP window closes, and what wsgate writes
 * toward the dead peer stays in wsgate's buffers, so its backpressure is exercised as on a real dead path. A relay
 * that read and discarded would instead swallow everything: writes toward the "dead" peer would always succeed and
 * nothing would ever build up, which is a peer that drains its socket and never answers (a hung application), not a
 * dead path. Not reading also keeps the bytes in order, so that {@link #heal()} delivers them as TCP would once a path
 * comes back (a chunk read at the moment of blackholing is held, not lost).
 *
 * <p>What it cannot model: the relay's kernel still acknowledges what fits in its receive buffer and answers
 * zero-window and keep-alive probes, where a dead path answers nothing (no retransmissions, no eventual
 * {@code ETIMEDOUT}). An {@code iptables} DROP rule models that; see {@code IptablesEvictionIT}.
 *
 * <h2>What passes</h2>
 * Before blackholing, bytes both ways, a half-close (FIN) as a half-close, and a reset as a reset. While blackholed,
 * nothing: a FIN or RST that reaches the relay's socket on one side stays there (a FIN stays unread; a RST only kills
 * the relay's socket on that side) and is passed on by {@link #heal()}, if ever. Connections accepted while
 * blackholed are held, not connected to the target, until healed. {@link #close()} closes everything.
 *
 * <p>Threads: one acceptor and two per connection, all daemon; at most {@link #MAX_CONNECTIONS} connections (more
 * are closed at once and counted in {@link #refused()}). Every blocking call is bounded or ended by {@link #close()}.
 */
public final class BlackholeRelay implements Closeable {

  /** Connections one relay carries at most. */
  public static final int MAX_CONNECTIONS = 64;
  /** Socket reads poll at this interval, so that a relay notices blackholing and closing without reading. */
  private static final int POLL_MILLIS = 20;
  /** The longest {@link #blackhole()} waits for a write under way (to a peer that does not read). */
  private static final Duration WRITE_WAIT = Duration.ofSeconds(5);

  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final Object state = new Object();
  private final AtomicInteger refused = new AtomicInteger();
  private volatile boolean blackholed;
  private volatile boolean closed;

  private BlackholeRelay(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "blackhole-relay-" + server.getLocalPort());
    this.acceptor.setDaemon(true);
    this.acceptor.start();
  }

  /** A relay forwarding to {@code target}, open (not blackholed). */
  public static BlackholeRelay to(InetSocketAddress target) throws IOException {
    return new BlackholeRelay(target);
  }

  /** A relay forwarding to the host and port of a {@code ws://} URI. */
  public static BlackholeRelay to(URI target) throws IOException {
    return to(new InetSocketAddress(target.getHost(), target.getPort()));
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code ws://127.0.0.1:PORT}, the relay as an upstream URI. */
  public URI uri() {
    return URI.create("ws://127.0.0.1:" + port());
  }

  /** Connections accepted beyond {@link #MAX_CONNECTIONS}, closed at once. */
  public int refused() {
    return refused.get();
  }

  /** The connections relayed so far, in the order they were accepted. */
  public List<Link> links() {
    return List.copyOf(links);
  }

  /** Waits, at most {@code timeout}, until {@code n} connections have been accepted, and returns the n-th. */
  public Link awaitLink(int n, Duration timeout) throws InterruptedException {
    Awaits.until(n + " connections through the relay on port " + port() + " (so far " + links.size() + ")",
        timeout, () -> links.size() >= n);
    return links.get(n - 1);
  }

  /**
   * Stops forwarding on every connection, present and future, both ways, without closing anything. When it returns,
   * no byte is forwarded any more: a write under way has finished (waiting at most 5 s for it).
   */
  public void blackhole() throws InterruptedException {
    synchronized (state) {
      blackholed = true;
    }
    for (Link link : links) {
      link.settle();
    }
  }

  /** Forwards again: what was held goes first, in order, then everything else, as before. */
  public void heal() {
    synchronized (state) {
      blackholed = false;
      state.notifyAll();
    }
  }

  public boolean isBlackholed() {
    return blackholed;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket accepted;
      try {
        accepted = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (links.size() >= MAX_CONNECTIONS) {
        refused.incrementAndGet();
        closeQuietly(accepted);
        continue;
      }
      Link link = new Link(accepted);
      links.add(link);
      try {
        link.awaitOpen(); // a connection made to a dead path goes nowhere until it heals
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (closed) {
        return;
      }
      link.connect();
    }
  }

  @Override
  public void close() {
    synchronized (state) {
      closed = true;
      state.notifyAll();
    }
    closeQuietly(server);
    for (Link link : links) {
      link.closeBoth();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<Thread> all = new ArrayList<>(threads);
    all.add(acceptor);
    for (Thread t : all) {
      long left = deadline - System.nanoTime();
      if (left > 0 && t != Thread.currentThread()) {
        try {
          t.join(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
  }

  private Thread start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return t;
  }

  /** One relayed connection: the accepted socket (the "downstream" side) and the one to the target. */
  public final class Link {
    private final Socket accepted;
    private volatile Socket outbound;
    private volatile boolean linkBlackholed;
    private final List<Pump> pumps = new CopyOnWriteArrayList<>();

    Link(Socket accepted) {
      this.accepted = accepted;
    }

    /** Stops forwarding on this connection only, both ways; see {@link BlackholeRelay#blackhole()}. */
    public void blackhole() throws InterruptedException {
      synchronized (state) {
        linkBlackholed = true;
      }
      settle();
    }

    /** Forwards again on this connection (unless the whole relay is blackholed). */
    public void heal() {
      synchronized (state) {
        linkBlackholed = false;
        state.notifyAll();
      }
    }

    boolean dark() {
      return blackholed || linkBlackholed;
    }

    /** Waits while this connection is blackholed; false once the relay is closed. */
    boolean awaitOpen() throws InterruptedException {
      synchronized (state) {
        while (dark() && !closed) {
          state.wait(POLL_MILLIS * 10L); // woken by heal() and close(); the bound is only a safety net
        }
        return !closed;
      }
    }

    void settle() throws InterruptedException {
      for (Pump p : pumps) {
        if (!p.gate.tryLock(WRITE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("a write through the relay did not finish within " + WRITE_WAIT
              + " (its destination does not read)");
        }
        p.gate.unlock();
      }
    }

    void connect() {
      Socket out = new Socket();
      try {
        out.connect(target, 5_000);
        out.setTcpNoDelay(true);
        out.setSoTimeout(POLL_MILLIS);
        accepted.setTcpNoDelay(true);
        accepted.setSoTimeout(POLL_MILLIS);
      } catch (IOException e) {
        // The target refused: so does the relay, with a reset.
        closeQuietly(out);
        reset(accepted);
        return;
      }
      outbound = out;
      Pump down = new Pump(this, accepted, out);
      Pump up = new Pump(this, out, accepted);
      pumps.add(down);
      pumps.add(up);
      if (closed) {
        closeBoth();
        return;
      }
      start("blackhole-relay-" + port() + "-" + accepted.getPort() + "-to-target", down);
      start("blackhole-relay-" + port() + "-" + accepted.getPort() + "-from-target", up);
    }

    void closeBoth() {
      closeQuietly(accepted);
      Socket out = outbound;
      if (out != null) {
        closeQuietly(out);
      }
    }

    /** Bytes passed on toward the target so far (not counting what was held while blackholed). */
    public long bytesToTarget() {
      return pumps.isEmpty() ? 0 : pumps.get(0).relayed.get();
    }

    /** Bytes passed on from the target so far. */
    public long bytesFromTarget() {
      return pumps.size() < 2 ? 0 : pumps.get(1).relayed.get();
    }

    /** Both directions at end of stream: the connection is over. */
    void pumpEnded() {
      if (pumps.stream().allMatch(p -> p.ended)) {
        closeBoth();
      }
    }
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // closed already
    }
    closeQuietly(s);
  }

  /** One direction of a connection. */
  private final class Pump implements Runnable {
    final Link link;
    final Socket from;
    final Socket to;
    /** Held while writing; blackholing takes it to know that no write is under way. */
    final ReentrantLock gate = new ReentrantLock();
    /** Read while blackholed: passed on, in order, when healed. */
    final ByteArrayOutputStream held = new ByteArrayOutputStream();
    boolean heldEof;
    boolean heldReset;
    volatile boolean ended;
    /** Bytes passed on in this direction. */
    final java.util.concurrent.atomic.AtomicLong relayed = new java.util.concurrent.atomic.AtomicLong();

    Pump(Link link, Socket from, Socket to) {
      this.link = link;
      this.from = from;
      this.to = to;
    }

    @Override
    public void run() {
      byte[] buf = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (link.awaitOpen()) {
          if (!flushHeld(out)) {
            return;
          }
          int n;
          try {
            n = in.read(buf);
          } catch (SocketTimeoutException poll) {
            continue;
          } catch (IOException e) {
            if (closed || !sourceFailed()) {
              return;
            }
            continue; // blackholed: the reset is held
          }
          gate.lock();
          try {
            if (link.dark()) {
              // Read at the moment of blackholing: held, and never forwarded unless healed.
              if (n < 0) {
                heldEof = true;
              } else {
                held.write(buf, 0, n);
              }
              continue;
            }
            if (n < 0) {
              endOfStream();
              return;
            }
            out.write(buf, 0, n);
            out.flush();
            relayed.addAndGet(n);
          } catch (IOException e) {
            // The destination reset: so does the relay toward the source.
            if (!closed) {
              reset(from);
              link.closeBoth();
            }
            return;
          } finally {
            gate.unlock();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException e) {
        if (!closed) {
          link.closeBoth();
        }
      }
    }

    /** Passes on what was held while blackholed; false when this direction is over. */
    private boolean flushHeld(OutputStream out) {
      gate.lock();
      try {
        if (link.dark()) {
          return true;
        }
        if (held.size() > 0) {
          try {
            held.writeTo(out);
            out.flush();
          } catch (IOException e) {
            // The destination reset: so does the relay toward the source (under the gate, as every pass-on).
            if (!closed) {
              reset(from);
              link.closeBoth();
            }
            return false;
          }
          held.reset();
        }
        if (heldReset) {
          passReset();
          return false;
        }
        if (heldEof) {
          endOfStream();
          return false;
        }
        return true;
      } finally {
        gate.unlock();
      }
    }

    private void endOfStream() {
      ended = true;
      try {
        if (!to.isClosed()) {
          to.shutdownOutput();
        }
      } catch (IOException e) {
        // the destination is gone already
      }
      link.pumpEnded();
    }

    /**
     * The source's connection failed (a reset): a reset toward the destination too, unless blackholed, when it is
     * held (true).
     */
    private boolean sourceFailed() {
      gate.lock();
      try {
        if (link.dark()) {
          heldReset = true;
          return true;
        }
        passReset();
        return false;
      } finally {
        gate.unlock();
      }
    }

    /** Under the gate. */
    private void passReset() {
      ended = true;
      reset(to);
      link.closeBoth();
    }
  }
}
