package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Graceful shutdown: readiness fails at once, no new sessions, and every session closes with 1001, in full. */
class DrainIT {

  private static final String SERVER = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n";

  @Test
  void clientsStreamingDuringTheDrainGetEveryFrameBeforeTheirClose() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), SERVER
             + "shutdown: {drain-timeout: 10s, drain-window: 500ms}\n")) {
      int n = 4;
      List<RawWebSocket> clients = new ArrayList<>();
      List<Thread> writers = new ArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      for (int i = 0; i < n; i++) {
        clients.add(RawWebSocket.connect(gw.address(), "/"));
        RawUpstream.Conn up = upstream.take();
        // The upstream streams numbered frames as fast as it can until it receives a close, as an endpoint must
        // (RFC 6455, 5.5.1: no data frames after a close frame).
        AtomicBoolean closeReceived = new AtomicBoolean();
        Thread w = new Thread(() -> {
          try {
            for (long k = 0; !stop.get() && !closeReceived.get(); k++) {
              up.send(true, WsFrame.BINARY, ByteBuffer.allocate(1024).putLong(k).array());
            }
          } catch (Exception closed) {
            // wsgate closed the upstream leg: expected
          }
        });
        w.setDaemon(true);
        w.start();
        writers.add(w);
        Thread answer = new Thread(() -> {
          try {
            WsFrame f = up.readClose();
            closeReceived.set(true);
            up.send(true, WsFrame.CLOSE, f.payload());
            up.close();
          } catch (Exception e) {
            // the connection went
          }
        });
        answer.setDaemon(true);
        answer.start();
      }
      // Each client reads numbered frames; every number must follow the previous until the close frame.
      List<CompletableFuture<Long>> received = new ArrayList<>();
      for (RawWebSocket c : clients) {
        received.add(CompletableFuture.supplyAsync(() -> {
          try {
            long expected = 0;
            while (true) {
              WsFrame f = c.readData();
              if (f.opcode() == WsFrame.CLOSE) {
                assertThat(f.closeCode()).isEqualTo(1001);
                assertThat(f.closeReason()).isEqualTo("going away");
                c.sendClose(1001, "");
                return expected;
              }
              long got = ByteBuffer.wrap(f.payload()).getLong();
              if (got != expected) { // a plain check: the client must keep up with the stream
                throw new AssertionError("frame " + got + " where " + expected + " was due");
              }
              expected++;
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }));
      }
      Awaits.until("frames flowing", Duration.ofSeconds(10),
          () -> gw.gateway().sessions().snapshot().stream().allMatch(s -> s.framesFromUpstream() > 100));
      int left = gw.gateway().drain();
      assertThat(left).isZero();
      stop.set(true);
      for (CompletableFuture<Long> r : received) {
        assertThat(r.get(10, TimeUnit.SECONDS)).as("frames received before the close").isGreaterThan(100);
      }
      assertThat(gw.gateway().metrics().sessionsEnded(dev.wsgate.session.Session.EndCause.DRAIN)).isEqualTo(n);
      for (Thread w : writers) {
        w.join(5_000);
      }
    }
  }

  @Test
  void readinessFailsAtOnceAndNewHandshakesGet503() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), SERVER
             + "  close-timeout: 300ms\nshutdown: {drain-timeout: 2s, drain-window: 0}\n")) {
      // A client that never answers its close keeps the drain going until the drain timeout.
      RawWebSocket stubborn = RawWebSocket.connect(gw.address(), "/");
      RawUpstream.Conn up = upstream.take();
      CompletableFuture<Integer> drain = CompletableFuture.supplyAsync(() -> {
        try {
          return gw.gateway().drain();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Awaits.until("draining", Duration.ofSeconds(5), () -> gw.gateway().draining());
      var ready = AdminClient.get(gw, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("not ready: draining\n");
      assertThat(AdminClient.get(gw, "/healthz").statusCode()).as("alive all the same").isEqualTo(200);
      RawWebSocket.Response refused = RawWebSocket.request(gw.address(), "GET / HTTP/1.1",
          RawWebSocket.handshakeHeaders(gw.address()));
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.body()).isEqualTo("503 Service Unavailable: wsgate is shutting down\n");
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
      // The client never answered, and close-timeout cut it, well within the drain timeout.
      assertThat(drain.get(10, TimeUnit.SECONDS)).isZero();
      assertThat(stubborn.readClose().closeCode()).isEqualTo(1001);
      stubborn.close();
    }
  }

  @Test
  void closesAreSpreadOverTheWindow() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(upstream.uri(), SERVER
             + "shutdown: {drain-timeout: 10s, drain-window: 2s}\n")) {
      int n = 20;
      List<RawWebSocket> clients = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        clients.add(RawWebSocket.connect(gw.address(), "/"));
      }
      List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
      long start = System.nanoTime();
      List<CompletableFuture<Void>> readers = new ArrayList<>();
      for (RawWebSocket c : clients) {
        readers.add(CompletableFuture.runAsync(() -> {
          try {
            WsFrame close = c.readClose();
            arrivals.add((System.nanoTime() - start) / 1_000_000);
            c.sendClose(close.closeCode(), "");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }));
      }
      assertThat(gw.gateway().drain()).isZero();
      for (CompletableFuture<Void> r : readers) {
        r.get(10, TimeUnit.SECONDS);
      }
      long first = Collections.min(arrivals);
      long last = Collections.max(arrivals);
      // Uniform over 2 s: twenty closes all within 500 ms of each other would be a 1-in-10^10 accident.
      assertThat(last - first).as("spread of the closes, ms: " + arrivals).isGreaterThan(500);
      assertThat(last).as("within the window").isLessThan(2_000 + 1_000);
      for (RawWebSocket c : clients) {
        c.close();
      }
    }
  }
}
