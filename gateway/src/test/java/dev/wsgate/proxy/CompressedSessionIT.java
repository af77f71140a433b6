package dev.wsgate.proxy;

import static dev.wsgate.proxy.DeflateNegotiationTest.deflate;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.Released;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import dev.wsgate.testing.WsWire;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A session whose client leg wsgate inflates (the client compresses, the upstream declined) behaves as one without
 * compression: backpressure bounds what wsgate holds for an upstream that does not read, whatever the messages
 * inflate to, and a silent client is evicted as any other.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CompressedSessionIT {

  private static final String OFFER = "permessage-deflate; client_max_window_bits";
  private static final int RSV1 = 4;
  private static final int MESSAGE = 128 * 1024;
  private static final int MESSAGES = 100;
  private static final int MARK = 64 * 1024;
  /** A message of the largest size, inflated, as Netty's outbound queue counts it: header, payload, two entries. */
  private static final long ONE_MESSAGE = 14 + MESSAGE + 2 * 96;

  @Test
  void anUpstreamThatDoesNotReadStopsTheClientWithinTheMarkPlusOneMessageInflated() throws Exception {
    assertThat(deflate(new byte[MESSAGE]).length).as("many messages in one read").isLessThan(200);
    String yaml = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  write-buffer-high-water-mark: 64KiB\n"
        + "intermediaries:\n  idle-timeout: 0\nheartbeat:\n  interval: 0\n";
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade(), 16 * 1024);
         TestGateway gw = TestGateway.proxying(upstream.uri(), yaml)) {
      Released before = Released.from(gw);
      try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("Sec-WebSocket-Extensions", OFFER))) {
        RawUpstream.Conn up = upstream.take();
        assertThat(client.response().header("sec-websocket-extensions")).startsWith("permessage-deflate");
        Awaits.until("the session is registered", Duration.ofSeconds(10), () -> gw.gateway().sessions().size() == 1);
        Session session = gw.gateway().sessions().snapshot().get(0);
        // 100 messages of 128 KiB of zeros: about 150 bytes each on the wire, 12.5 MiB inflated, written at once so
        // that wsgate's first read (2 KiB) takes a dozen; the upstream reads nothing.
        byte[] bomblet = deflate(new byte[MESSAGE]);
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        for (int i = 0; i < MESSAGES; i++) {
          WsWire.writeFrame(burst, true, RSV1, WsFrame.BINARY, bomblet, true);
        }
        client.socket().getOutputStream().write(burst.toByteArray());
        client.socket().getOutputStream().flush();
        long[] max = {0};
        long[] last = {-1, -1, System.nanoTime()};
        Awaits.until("wsgate's queue toward the upstream holds steady for 2 s", Duration.ofMinutes(2), () -> {
          long queued = session.queuedBytes(Leg.UPSTREAM) + session.leg(Leg.UPSTREAM).waitingBytes();
          long relayed = session.bytesFromClient();
          max[0] = Math.max(max[0], queued);
          if (queued != last[0] || relayed != last[1]) {
            last[0] = queued;
            last[1] = relayed;
            last[2] = System.nanoTime();
            return false;
          }
          return System.nanoTime() - last[2] >= TimeUnit.SECONDS.toNanos(2);
        });
        System.out.printf("compressed backpressure: relayed %d bytes inflated of %d; queued toward the upstream: max %d,"
            + " steady %d; bound %d%n", session.bytesFromClient(), (long) MESSAGES * MESSAGE, max[0], last[0],
            MARK + ONE_MESSAGE);
        assertThat(session.bytesFromClient()).as("wsgate stopped reading the client").isLessThan(
            (long) MESSAGES * MESSAGE);
        assertThat(max[0]).as("what wsgate held for the upstream while it did not read")
            .isLessThanOrEqualTo(MARK + ONE_MESSAGE);
        // The upstream reads: every message arrives whole, inflated.
        for (int i = 0; i < MESSAGES; i++) {
          WsFrame f = up.readData();
          assertThat(f.rsv()).isZero();
          assertThat(f.payload()).as("message %d", i).hasSize(MESSAGE).containsOnly((byte) 0);
        }
        RawWebSocket.closeCleanly(client, up);
      }
      upstream.closeConnections();
      before.assertBack();
    }
  }

  @Test
  void aSilentCompressingClientIsEvictedAndTheUpstreamGets1001() throws Exception {
    String yaml = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
        + "intermediaries:\n  idle-timeout: 0\nheartbeat:\n  interval: 1s\n  timeout: 2s\n  upstream:\n"
        + "    interval: 0\n    timeout: 0\n";
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), yaml)) {
      Released before = Released.from(gw);
      try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("Sec-WebSocket-Extensions", OFFER))) {
        RawUpstream.Conn up = upstream.take();
        client.sendRaw(true, RSV1, WsFrame.TEXT, deflate("last words".getBytes()), true);
        assertThat(up.readData().text()).isEqualTo("last words");
        long silentSince = System.nanoTime();
        // The client reads nothing from here on, so it answers no ping.
        WsFrame close = up.readClose();
        Duration after = Duration.ofNanos(System.nanoTime() - silentSince);
        assertThat(close.closeCode()).isEqualTo(1001);
        assertThat(close.closeReason()).isEqualTo("client heartbeat timeout");
        assertThat(after).as("evicted at the timeout, within wsgate's window").isBetween(Duration.ofMillis(1900),
            Duration.ofSeconds(4));
        up.sendClose(1001, "");
        up.close();
        Awaits.until("the session ended", Duration.ofSeconds(10), () -> gw.gateway().sessions().size() == 0);
        assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_HEARTBEAT)).isEqualTo(1.0);
      }
      upstream.closeConnections();
      before.assertBack();
    }
  }
}
