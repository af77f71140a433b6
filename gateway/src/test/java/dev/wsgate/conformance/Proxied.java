package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One session through wsgate with a raw peer on each leg, seen along a {@link Direction}: {@link #from} the peer
 * that sends, {@link #to} the peer that observes.
 */
final class Proxied implements AutoCloseable {

  /** Every read of a case waits at most this long: wsgate answers on loopback in milliseconds. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

  private final String id;
  private final RawWebSocket client;
  private final RawUpstream.Conn upstream;

  Proxied(String id, RawWebSocket client, RawUpstream.Conn upstream) throws IOException {
    this.id = id;
    this.client = client;
    this.upstream = upstream;
    client.socket().setSoTimeout((int) READ_TIMEOUT.toMillis());
    upstream.socket().setSoTimeout((int) READ_TIMEOUT.toMillis());
  }

  /** The request id of the session, as in the access log. */
  String id() {
    return id;
  }

  RawWebSocket client() {
    return client;
  }

  RawUpstream.Conn upstream() {
    return upstream;
  }

  WsEndpoint at(Leg leg) {
    return leg == Leg.CLIENT ? client : upstream;
  }

  /** The peer that sends in direction {@code d}. */
  WsEndpoint from(Direction d) {
    return at(d.sender());
  }

  /** The peer that observes in direction {@code d}. */
  WsEndpoint to(Direction d) {
    return at(d.receiver());
  }

  /** Writes bytes to the sender's socket as they are, in writes of at most {@code chunk} bytes. */
  void write(Direction d, byte[] bytes, int chunk) throws IOException {
    OutputStream out = from(d).socket().getOutputStream();
    for (int i = 0; i < bytes.length; i += chunk) {
      out.write(bytes, i, Math.min(chunk, bytes.length - i));
      out.flush();
    }
  }

  /** Writes bytes to the sender's socket in one write. */
  void write(Direction d, byte[] bytes) throws IOException {
    write(d, bytes, Math.max(1, bytes.length));
  }

  /** Writes on a thread of its own, for messages larger than the socket buffers along the way. */
  CompletableFuture<Void> writeAsync(Direction d, byte[] bytes, int chunk) {
    return Async.run(() -> write(d, bytes, chunk));
  }

  /**
   * Asserts that nothing is pending on either side: a text sent each way is the next frame at the other end. Since
   * wsgate keeps order in each direction, a frame sent before the first marker that was relayed, or an answer to it
   * that wsgate wrote back, would come before the markers.
   */
  void assertQuiet(Direction d, String what) throws IOException {
    from(d).sendText("marker " + d);
    Next there = Next.of(to(d));
    assertThat(there.frame()).as("%s: the next frame at the %s is the marker, got %s", what, d.receiver(), there)
        .isNotNull();
    Frames.assertFrame(there.frame(), true, WsFrame.TEXT, Frames.utf8("marker " + d), what + ", marker " + d);
    to(d).sendText("marker " + d.reverse());
    Next back = Next.of(from(d));
    assertThat(back.frame()).as("%s: the next frame at the %s is the marker, got %s", what, d.sender(), back)
        .isNotNull();
    Frames.assertFrame(back.frame(), true, WsFrame.TEXT, Frames.utf8("marker " + d.reverse()),
        what + ", marker " + d.reverse());
  }

  /**
   * Ends the session as conforming peers do (the client closes, the upstream answers and closes TCP), and checks
   * that wsgate relayed both closes and closed the client connection.
   */
  void closeCleanly() throws IOException {
    WsEndpoint.closeCleanly(client, upstream);
    assertThat(Next.of(client).eof()).as("wsgate closes the client connection after the close handshake").isTrue();
  }

  @Override
  public void close() throws IOException {
    try {
      client.close();
    } finally {
      upstream.close();
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
