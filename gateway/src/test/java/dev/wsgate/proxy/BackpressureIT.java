package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.ClientSockets;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backpressure: an upstream sends 1 GiB as fast as TCP lets it, to a client that does not read. wsgate must stop
 * reading the upstream once the client's outbound buffer passes {@code server.write-buffer-high-water-mark}, so the
 * bytes it holds for the client stay within the mark plus one frame (the frame that crossed it; see
 * {@link ProxySession}), however much the upstream has to send. Once the client reads, all of it arrives, intact and
 * in order.
 *
 * <p>Asserts on bytes, never on time; every wait is bounded, generously (the whole transfer runs through Netty's
 * leak detector at PARANOID level on a shared 2-core machine).
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class BackpressureIT {

  private static final int PAYLOAD = 64 * 1024;
  private static final long TOTAL = 1L << 30;
  private static final int FRAMES = (int) (TOTAL / PAYLOAD);
  private static final int HIGH_WATER_MARK = 256 * 1024;
  /** A server frame of 64 KiB: 2 bytes, then the length in 8 bytes (no mask). */
  private static final int FRAME_HEADER = 10;
  /**
   * What Netty counts for each buffer in an outbound queue on top of its bytes (its entry's bookkeeping), in the
   * figure the write-buffer high-water mark is compared with and {@link Session#queuedBytes} reports.
   */
  private static final int ENTRY_OVERHEAD = Integer.getInteger("io.netty.transport.outboundBufferEntrySizeOverhead",
      96);
  /**
   * One 64 KiB frame as the client's outbound queue counts it: Netty's WebSocket encoder queues a large frame as two
   * buffers, its header and its payload.
   */
  private static final long ONE_FRAME = FRAME_HEADER + PAYLOAD + 2L * ENTRY_OVERHEAD;
  private static final long BOUND = HIGH_WATER_MARK + ONE_FRAME;
  /** The client's TCP receive buffer: small, so that the kernel holds little of what the client does not read. */
  private static final int CLIENT_RECEIVE_BUFFER = 16 * 1024;
  private static final long SEED = 0x5eed_0f_b1a5L;

  @Test
  void aClientThatDoesNotReadStopsTheUpstreamWithinTheHighWaterMarkAndThenGetsEveryByteIntact() throws Exception {
    String yaml = "server:\n"
        + "  listen: 127.0.0.1:0\n"
        + "  admin: 127.0.0.1:0\n"
        + "  write-buffer-high-water-mark: 256KiB\n"
        // No heartbeat: a client that does not read cannot answer pings and would be evicted, which is right but
        // not what this test is about.
        + "intermediaries:\n"
        + "  idle-timeout: 0\n"
        + "heartbeat:\n"
        + "  interval: 0\n";
    Thread writer = null;
    Sampler sampler = null;
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.start(yaml + "routes:\n  - path: /\n    upstreams: [\"" + upstream.uri()
             + "\"]\n");
         Socket client = ClientSockets.open(gw.address(), CLIENT_RECEIVE_BUFFER, Duration.ofSeconds(60))) {
      InputStream in = new BufferedInputStream(client.getInputStream(), 65_536);
      OutputStream out = client.getOutputStream();
      ClientSockets.handshake(client, in, "/");
      RawUpstream.Conn up = upstream.take();
      Awaits.until("the session is registered", Duration.ofSeconds(10), () -> gw.gateway().sessions().size() == 1);
      Session session = gw.gateway().sessions().snapshot().get(0);

      // The upstream: 16384 frames of 64 KiB, each from a PRNG seeded with its index, then a text frame with the
      // CRC-32C of everything; blocking in write whenever TCP pushes back.
      AtomicLong sent = new AtomicLong();
      AtomicReference<Throwable> writerFailure = new AtomicReference<>();
      writer = new Thread(() -> {
        try {
          byte[] payload = new byte[PAYLOAD];
          CRC32C crc = new CRC32C();
          for (int i = 0; i < FRAMES; i++) {
            fill(payload, i);
            crc.update(payload);
            up.send(true, WsFrame.BINARY, payload);
            sent.addAndGet(PAYLOAD);
          }
          up.sendText(String.format("end frames=%d bytes=%d crc32c=%08x", FRAMES, TOTAL, crc.getValue()));
        } catch (Throwable t) {
          writerFailure.set(t);
        }
      }, "backpressure-upstream-writer");
      writer.setDaemon(true);
      Sampler queue = new Sampler(session);
      sampler = queue;
      queue.start();
      long start = System.nanoTime();
      writer.start();

      // The client does not read. Sample the bytes wsgate queues for it until the upstream is stuck in a socket
      // write, with neither its progress nor wsgate's queue moving for 2 s; or, sooner, until the bound is broken or
      // the upstream got everything out (the assertions below then say what went wrong).
      Thread w = writer;
      long[] last = {-1, -1, 0};
      try {
        Awaits.until("the upstream writer blocks in a socket write with wsgate's queue steady for 2 s",
            Duration.ofMinutes(3), () -> {
              long s = sent.get();
              long q = queue.last();
              long now = System.nanoTime();
              if (queue.max() > BOUND || !w.isAlive()) {
                return true;
              }
              if (s != last[0] || q != last[1] || !inSocketWrite(w)) {
                last[0] = s;
                last[1] = q;
                last[2] = now;
                return false;
              }
              return now - last[2] >= TimeUnit.SECONDS.toNanos(2);
            });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + " (sent " + sent.get() + " bytes, writer failure "
            + writerFailure.get() + ", queued for the client " + session.queuedBytes(Leg.CLIENT) + ", max "
            + sampler.max() + ")", e);
      }
      long blockedAfter = sent.get();
      long steadyQueue = session.queuedBytes(Leg.CLIENT);
      long maxWhileNotReading = sampler.max();
      long samplesWhileNotReading = sampler.count();
      double fillSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("backpressure: upstream blocked after %d bytes sent (%.1f s); wsgate relayed %d; queued for "
              + "the client: max %d over %d samples, steady %d; bound %d (mark %d + one frame %d)%n", blockedAfter,
          fillSeconds, session.bytesFromUpstream(), maxWhileNotReading, samplesWhileNotReading, steadyQueue, BOUND,
          HIGH_WATER_MARK, ONE_FRAME);
      assertThat(writerFailure.get()).as("upstream writer failure").isNull();
      assertThat(blockedAfter).as("bytes the upstream sent before TCP stopped it").isLessThan(TOTAL);
      assertThat(maxWhileNotReading)
          .as("the most wsgate queued for the client while it did not read (%d samples)", samplesWhileNotReading)
          .isGreaterThan(HIGH_WATER_MARK) // the mark was reached: wsgate stopped reading because of it
          .isLessThanOrEqualTo(BOUND);

      // Now the client reads everything: every frame whole, in order, with the content its index gives.
      long readStart = System.nanoTime();
      long deadline = readStart + TimeUnit.MINUTES.toNanos(10);
      byte[] expected = new byte[PAYLOAD];
      CRC32C crc = new CRC32C();
      long received = 0;
      for (int i = 0; i < FRAMES; i++) {
        WsFrame f = WsWire.readFrame(in);
        if (f.opcode() != WsFrame.BINARY || !f.fin() || f.payload().length != PAYLOAD) {
          throw new AssertionError("frame " + i + " (after " + received + " bytes): expected a whole binary frame of "
              + PAYLOAD + " bytes, got " + f);
        }
        fill(expected, i);
        int at = Arrays.mismatch(expected, f.payload());
        if (at >= 0) {
          throw new AssertionError("frame " + i + " differs from what the upstream sent at byte " + at);
        }
        crc.update(f.payload());
        received += PAYLOAD;
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("not all of 1 GiB within 10 minutes: " + received + " bytes read");
        }
      }
      WsFrame end = WsWire.readFrame(in);
      assertThat(end.opcode()).isEqualTo(WsFrame.TEXT);
      assertThat(end.text()).isEqualTo(String.format("end frames=%d bytes=%d crc32c=%08x", FRAMES, TOTAL,
          crc.getValue()));
      assertThat(received).isEqualTo(TOTAL);
      double readSeconds = (System.nanoTime() - readStart) / 1e9;
      System.out.printf("backpressure: client read %d bytes in %.1f s (%.0f MiB/s); %.1f s in all; max queued for the "
              + "client over the whole transfer %d (%d samples)%n", received, readSeconds,
          received / readSeconds / (1 << 20), (System.nanoTime() - start) / 1e9, sampler.max(), sampler.count());
      writer.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(writer.isAlive()).as("upstream writer still running").isFalse();
      assertThat(writerFailure.get()).as("upstream writer failure").isNull();
      assertThat(session.framesFromUpstream()).isEqualTo(FRAMES + 1L);

      // The bound holds all along, not only while the client did not read.
      sampler.stop();
      assertThat(sampler.max()).as("the most wsgate queued for the client during the whole transfer").isLessThanOrEqualTo(
          BOUND);

      // A clean close: the upstream closes, the client answers, wsgate relays both and ends TCP.
      up.sendClose(1000, "all sent");
      WsFrame close = readSkippingPings(in, out);
      assertThat(close.opcode()).isEqualTo(WsFrame.CLOSE);
      assertThat(close.closeCode()).isEqualTo(1000);
      assertThat(close.closeReason()).isEqualTo("all sent");
      WsWire.writeFrame(out, true, 0, WsFrame.CLOSE, WsWire.closePayload(1000, "all read"), true);
      WsFrame answer = up.readClose();
      assertThat(answer.closeCode()).isEqualTo(1000);
      assertThat(answer.closeReason()).isEqualTo("all read");
      up.close();
      assertThat(awaitEof(in)).as("wsgate closes the client's TCP connection").isTrue();
      gw.awaitIdle(Duration.ofSeconds(10));
      assertThat(session.closeCode()).isEqualTo(1000);
      assertThat(session.closedBy()).isEqualTo(Session.Initiator.UPSTREAM);
    } finally {
      if (sampler != null) {
        sampler.stop();
      }
      if (writer != null) {
        writer.interrupt();
        writer.join(TimeUnit.SECONDS.toMillis(10));
      }
    }
  }

  /**
   * The bound holds for any frame size: five sessions whose two peers both send 16-byte frames as fast as TCP lets
   * them and never read. Netty counts about 96 bytes of bookkeeping per queued frame, so a whole read batch relayed
   * after the mark was crossed used to queue several times the mark; wsgate now stops relaying the rest of the batch
   * once the other leg is past the mark (it waits, in order, in the session) and each outbound buffer, as Netty
   * counts it, stays within the mark plus one frame.
   */
  @Test
  void tinyFramesFromPeersThatDoNotReadStayWithinTheMarkPlusOneFrame() throws Exception {
    int sessions = 5;
    int mark = 64 * 1024;
    int payload = 16;
    // The largest tiny frame on the wire: 2 bytes of header and, toward the upstream, 4 of mask; one buffer each.
    long bound = mark + 2 + 4 + payload + ENTRY_OVERHEAD;
    String yaml = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  max-frame-size: 1KiB\n"
        + "intermediaries:\n  idle-timeout: 0\nheartbeat:\n  interval: 0\n";
    java.util.List<Thread> writers = new java.util.ArrayList<>();
    java.util.List<java.io.Closeable> sockets = new java.util.ArrayList<>();
    AtomicLong sent = new AtomicLong();
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade(), 4096);
         TestGateway gw = TestGateway.start(yaml + "routes:\n  - path: /\n    upstreams: [\"" + upstream.uri()
             + "\"]\n")) {
      for (int i = 0; i < sessions; i++) {
        Socket client = ClientSockets.open(gw.address(), 4096, Duration.ofSeconds(60));
        sockets.add(client);
        ClientSockets.handshake(client, new BufferedInputStream(client.getInputStream(), 1), "/");
        RawUpstream.Conn up = upstream.take();
        sockets.add(up);
        writers.add(tinyFrameWriter(client.getOutputStream(), true, payload, sent));
        writers.add(tinyFrameWriter(up.socket().getOutputStream(), false, payload, sent));
      }
      Awaits.until(sessions + " sessions", Duration.ofSeconds(10), () -> gw.gateway().sessions().size() == sessions);
      writers.forEach(Thread::start);
      java.util.List<Session> all = gw.gateway().sessions().snapshot();
      // Until every writer is stuck in a socket write, and nothing has moved for 2 s.
      long[] last = {-1, 0};
      Awaits.until("every peer blocked in a socket write, wsgate's queues steady", Duration.ofMinutes(5), () -> {
        long total = sent.get();
        for (Session x : all) {
          total += x.queuedBytes(Leg.CLIENT) + 7 * x.queuedBytes(Leg.UPSTREAM);
        }
        long now = System.nanoTime();
        if (total != last[0] || !writers.stream().allMatch(BackpressureIT::blockedInSocketWrite)) {
          last[0] = total;
          last[1] = now;
          return false;
        }
        return now - last[1] >= TimeUnit.SECONDS.toNanos(2);
      });
      try {
        assertWithinBound(all, mark, bound);
      } finally {
        for (java.io.Closeable c : sockets) {
          c.close();
        }
      }
      gw.awaitIdle(Duration.ofSeconds(30));
    } finally {
      for (java.io.Closeable c : sockets) {
        c.close();
      }
      for (Thread t : writers) {
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(10));
      }
    }
  }

  private static void assertWithinBound(java.util.List<Session> all, int mark, long bound) {
      for (Session x : all) {
        for (Leg leg : Leg.values()) {
          Session.LegStatus l = x.leg(leg);
          System.out.printf("backpressure, 16-byte frames: session %d %s leg: outbound buffer %d B (bound %d), "
              + "waiting in the session %d B of payload; relayed %d frames from the client, %d from the upstream%n",
              x.id(), leg, l.queuedBytes(), bound, l.waitingBytes(), x.framesFromClient(), x.framesFromUpstream());
          assertThat(l.queuedBytes()).as("session %d, %s leg: the outbound buffer as Netty counts it", x.id(), leg)
              // past the low-water mark: the leg is not writable, which is why wsgate stopped reading the other peer
              .isGreaterThan(mark / 2)
              .isLessThanOrEqualTo(bound);
          assertThat(l.waitingBytes()).as("what waits in the session: at most one read of tiny frames")
              .isLessThanOrEqualTo(64 * 1024);
        }
      }
  }

  /** True when the thread is inside a blocking socket write. */
  private static boolean blockedInSocketWrite(Thread t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if ((e.getClassName().startsWith("sun.nio.ch.") || e.getClassName().startsWith("java.net.Socket"))
          && e.getMethodName().toLowerCase(java.util.Locale.ROOT).contains("write")) {
        return true;
      }
    }
    return false;
  }

  /** A peer that writes 16-byte binary frames, 256 to a write, until its connection fails. */
  private static Thread tinyFrameWriter(OutputStream out, boolean mask, int payload, AtomicLong sent)
      throws java.io.IOException {
    java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 256; i++) {
      WsWire.writeFrame(batch, true, 0, WsFrame.BINARY, new byte[payload], mask);
    }
    byte[] bytes = batch.toByteArray();
    Thread t = new Thread(() -> {
      try {
        while (true) {
          out.write(bytes);
          sent.addAndGet(bytes.length);
        }
      } catch (java.io.IOException closed) {
        // the test closed the connection
      }
    }, "tiny-frame-writer");
    t.setDaemon(true);
    return t;
  }

  /** The payload of frame {@code index}: bytes of a PRNG seeded with the index. */
  private static void fill(byte[] payload, int index) {
    SplittableRandom random = new SplittableRandom(SEED + index);
    ByteBuffer b = ByteBuffer.wrap(payload);
    while (b.remaining() >= Long.BYTES) {
      b.putLong(random.nextLong());
    }
  }

  /** True when the thread is inside a blocking socket write of a WebSocket frame. */
  private static boolean inSocketWrite(Thread t) {
    boolean inFrameWrite = false;
    boolean inSocket = false;
    for (StackTraceElement e : t.getStackTrace()) {
      inFrameWrite |= e.getClassName().equals(WsWire.class.getName()) && e.getMethodName().equals("writeFrame");
      inSocket |= e.getClassName().startsWith("sun.nio.ch.") || e.getClassName().startsWith("java.net.Socket");
    }
    return inFrameWrite && inSocket;
  }

  private static WsFrame readSkippingPings(InputStream in, OutputStream out) throws java.io.IOException {
    while (true) {
      WsFrame f = WsWire.readFrame(in);
      if (f.opcode() == WsFrame.PING) {
        WsWire.writeFrame(out, true, 0, WsFrame.PONG, f.payload(), true);
      } else if (f.opcode() != WsFrame.PONG) {
        return f;
      }
    }
  }

  /** True when the server ends the connection (within the socket's read timeout), skipping any frames. */
  private static boolean awaitEof(InputStream in) throws java.io.IOException {
    try {
      while (true) {
        WsWire.readFrame(in);
      }
    } catch (EOFException | SocketException e) {
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    }
  }

  /**
   * Reads {@link Session#queuedBytes} for the client leg every 100 microseconds or so, on a thread of its own, and
   * keeps the largest value seen.
   */
  private static final class Sampler {
    private final Session session;
    private final AtomicLong max = new AtomicLong();
    private final AtomicLong last = new AtomicLong();
    private final AtomicLong count = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    Sampler(Session session) {
      this.session = session;
      this.thread = new Thread(this::run, "backpressure-sampler");
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void run() {
      while (!stopped) {
        long q = session.queuedBytes(Leg.CLIENT);
        last.set(q);
        max.accumulateAndGet(q, Math::max);
        count.incrementAndGet();
        // A sampling cadence, not a wait for anything.
        LockSupport.parkNanos(100_000);
      }
    }

    long max() {
      return max.get();
    }

    long last() {
      return last.get();
    }

    long count() {
      return count.get();
    }

    void stop() throws InterruptedException {
      stopped = true;
      thread.join(TimeUnit.SECONDS.toMillis(10));
    }
  }
}
