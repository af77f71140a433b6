package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.Released;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input closes the sender with the RFC's code and the other leg cleanly, is counted, and leaves other sessions
 * alone.
 */
class BadInputIT {

  private static final byte[] INVALID_UTF8 = {'o', 'k', (byte) 0xc3, (byte) 0x28};

  private RawUpstream upstream;
  private TestGateway gw;
  private Released before;

  @BeforeEach
  void start() throws Exception {
    upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
    gw = TestGateway.proxying(upstream.uri(), "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
        + "  max-frame-size: 1KiB\n");
    before = Released.from(gw);
  }

  /** After every bad input: everything back where it was (the test's own sockets closed first). */
  @AfterEach
  void stop() throws Exception {
    try {
      upstream.closeConnections();
      before.assertBack();
    } finally {
      try {
        gw.close();
      } finally {
        upstream.close();
      }
    }
  }

  @Test
  void clientFrameOverMaxFrameSizeGets1009AndTheUpstream1001() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendText("x".repeat(1024)); // at the limit: fine
      assertThat(up.readData().payload()).hasSize(1024);
      client.sendBinary(new byte[1025]);
      assertThat(client.readClose().closeCode()).isEqualTo(1009);
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.closeCode()).isEqualTo(1001);
      assertThat(atUpstream.closeReason()).startsWith("client: Max frame length of 1024 has been exceeded");
      up.sendClose(1001, "");
      up.close();
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertCounted(Leg.CLIENT, 1009);
    }
  }

  @Test
  void upstreamFrameOverMaxFrameSizeGets1009AndTheClient1014() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.send(true, WsFrame.BINARY, new byte[2000]);
      assertThat(up.readClose().closeCode()).isEqualTo(1009);
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(1014);
      assertThat(atClient.closeReason()).startsWith("upstream: Max frame length");
      client.sendClose(1014, "");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertCounted(Leg.UPSTREAM, 1009);
    }
  }

  @Test
  void invalidUtf8FromTheClientGets1007() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.send(true, WsFrame.TEXT, INVALID_UTF8);
      assertThat(client.readClose().closeCode()).isEqualTo(1007);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
      assertCounted(Leg.CLIENT, 1007);
    }
  }

  @Test
  void invalidUtf8SplitAcrossFragmentsGets1007() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.send(false, WsFrame.TEXT, new byte[] {'a', (byte) 0xe2, (byte) 0x82});
      client.send(true, WsFrame.CONTINUATION, new byte[] {'z'}); // 0xe2 0x82 needs a continuation byte, not 'z'
      // The first fragment was valid so far and is relayed as it came; the second ends the session.
      assertThat(up.readData().opcode()).isEqualTo(WsFrame.TEXT);
      assertThat(client.readClose().closeCode()).isEqualTo(1007);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
    }
  }

  @Test
  void invalidUtf8FromTheUpstreamGets1007AndTheClient1014() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.send(true, WsFrame.TEXT, INVALID_UTF8);
      assertThat(up.readClose().closeCode()).isEqualTo(1007);
      assertThat(client.readClose().closeCode()).isEqualTo(1014);
      client.sendClose(1000, "");
      assertCounted(Leg.UPSTREAM, 1007);
    }
  }

  @Test
  void unmaskedClientFrameGets1002() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendRaw(true, 0, WsFrame.TEXT, "not masked".getBytes(), false);
      assertThat(client.readClose().closeCode()).isEqualTo(1002);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
      assertCounted(Leg.CLIENT, 1002);
    }
  }

  @Test
  void maskedUpstreamFrameGets1002AndTheClient1014() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.sendRaw(true, 0, WsFrame.TEXT, "masked".getBytes(), true);
      assertThat(up.readClose().closeCode()).isEqualTo(1002);
      assertThat(client.readClose().closeCode()).isEqualTo(1014);
      client.sendClose(1000, "");
      assertCounted(Leg.UPSTREAM, 1002);
    }
  }

  @Test
  void reservedOpcodeGets1002() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendRaw(true, 0, 0x3, new byte[] {1}, true);
      assertThat(client.readClose().closeCode()).isEqualTo(1002);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
    }
  }

  @Test
  void reservedBitsWithoutAnExtensionGet1002() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendRaw(true, 0b100, WsFrame.TEXT, "rsv1".getBytes(), true);
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(1002);
      assertThat(atClient.closeReason()).isEqualTo("reserved bits set without a negotiated extension");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
      assertCounted(Leg.CLIENT, 1002);
    }
  }

  @Test
  void fragmentedControlFrameGets1002() throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendRaw(false, 0, WsFrame.PING, new byte[] {1}, true);
      assertThat(client.readClose().closeCode()).isEqualTo(1002);
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
    }
  }

  /**
   * Close codes that may not be sent: Netty's decoder catches some (1004-1006, 1015, below 3000 and unassigned),
   * wsgate the rest (5000 and up); the sender's connection is dropped either way (it sent a close already), the
   * other leg told why, and it counts as a protocol error.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535})
  void clientCloseWithAnInvalidCodeFailsTheConnection(int code) throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendClose(code, "may not be sent");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).as("no answer, TCP closed").isTrue();
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.closeCode()).isEqualTo(1001);
      assertThat(atUpstream.closeReason()).startsWith("client: ").contains(Integer.toString(code));
      up.sendClose(1001, "");
      up.close();
      assertCounted(Leg.CLIENT, 1002);
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1006, 5000, 65535})
  void upstreamCloseWithAnInvalidCodeFailsTheConnectionAndTheClientGets1014(int code) throws Exception {
    try (RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.sendClose(code, "");
      assertThat(up.awaitEof(Duration.ofSeconds(5))).as("no answer, TCP closed").isTrue();
      up.close();
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(1014);
      assertThat(atClient.closeReason()).startsWith("upstream: ").contains(Integer.toString(code));
      client.sendClose(1014, "");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertCounted(Leg.UPSTREAM, 1002);
    }
  }

  @Test
  void badInputInOneSessionLeavesTheOthersAlone() throws Exception {
    try (RawWebSocket good = RawWebSocket.connect(gw.address(), "/");
         RawWebSocket bad = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn goodUp = upstream.take();
      RawUpstream.Conn badUp = upstream.take();
      bad.sendRaw(true, 0, WsFrame.TEXT, "unmasked".getBytes(), false);
      assertThat(bad.readClose().closeCode()).isEqualTo(1002);
      badUp.readClose();
      badUp.close();
      // The session opened first may have been paired with either upstream connection; find out which.
      good.sendText("still here");
      RawUpstream.Conn other = goodUp;
      WsFrame f = other.readData();
      assertThat(f.text()).isEqualTo("still here");
      other.sendText("and so am I");
      assertThat(good.readData().text()).isEqualTo("and so am I");
      good.sendClose(1000, "");
      other.readClose();
      other.sendClose(1000, "");
      other.close();
      assertThat(good.readClose().closeCode()).isEqualTo(1000);
    }
  }

  private void assertCounted(Leg leg, int code) throws InterruptedException {
    dev.wsgate.testing.Awaits.until(leg + " " + code + " counted", Duration.ofSeconds(5),
        () -> gw.gateway().metrics().protocolErrors(leg, code) == 1.0);
  }
}
