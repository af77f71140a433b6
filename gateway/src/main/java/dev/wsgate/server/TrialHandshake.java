package dev.wsgate.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * Proves a server {@link SslContext} by a TLS handshake in memory, against a client that trusts any certificate:
 * neither of Netty's engines checks, when it builds a context, that the key belongs to the certificate, and this is
 * how the mismatch shows, as it would with the first client. The server's engine is of either kind: an OpenSSL one
 * holds native memory until released.
 */
final class TrialHandshake {

  /** Rounds of the trial handshake: a TLS 1.3 or 1.2 handshake needs 4 or 5. */
  private static final int HANDSHAKE_ROUNDS = 20;

  private TrialHandshake() {
  }

  /**
   * A TLS handshake between an engine of {@code server} and a client that trusts any certificate, in memory: the
   * server must sign with its key what the client verifies with the certificate's public key.
   */
  static void run(SslContext server) throws SSLException {
    SslContext trustingClient = SslContextBuilder.forClient()
        .sslProvider(io.netty.handler.ssl.SslProvider.JDK)
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        .build();
    SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
    SSLEngine c = trustingClient.newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
    try {
      int packet = Math.max(s.getSession().getPacketBufferSize(), c.getSession().getPacketBufferSize());
      ByteBuffer toServer = ByteBuffer.allocate(4 * packet);
      ByteBuffer toClient = ByteBuffer.allocate(4 * packet);
      ByteBuffer received = ByteBuffer.allocate(4 * Math.max(s.getSession().getApplicationBufferSize(),
          c.getSession().getApplicationBufferSize()));
      c.beginHandshake();
      s.beginHandshake();
      for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
        if (done(c) && done(s)) {
          return;
        }
        pass(s, c, toServer, toClient, received);
      }
      throw new SSLException("no handshake after " + HANDSHAKE_ROUNDS + " rounds");
    } finally {
      ReferenceCountUtil.release(s);
      ReferenceCountUtil.release(c);
    }
  }

  /**
   * The client refused what the server sent: above all the server's proof that it holds the key of the
   * certificate (TLS 1.3's CertificateVerify).
   */
  static final class ClientRefused extends SSLException {
    private static final long serialVersionUID = 1L;

    ClientRefused(SSLException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** One round: what the client has to send goes to the server, then the server's answer to the client. */
  private static void pass(SSLEngine s, SSLEngine c, ByteBuffer toServer, ByteBuffer toClient, ByteBuffer received)
      throws SSLException {
    try {
      send(c, toServer);
    } catch (SSLException e) {
      throw new ClientRefused(e);
    }
    receive(s, toServer, received);
    send(s, toClient);
    try {
      receive(c, toClient, received);
    } catch (SSLException e) {
      throw new ClientRefused(e);
    }
  }

  /** Failures of an engine's delegated tasks are thrown by its next wrap or unwrap: by the engine that failed. */
  private static void send(SSLEngine from, ByteBuffer wire) throws SSLException {
    from.wrap(ByteBuffer.allocate(0), wire);
    runTasks(from);
  }

  private static void receive(SSLEngine to, ByteBuffer wire, ByteBuffer received) throws SSLException {
    wire.flip();
    try {
      while (wire.hasRemaining()) {
        int before = wire.remaining();
        received.clear();
        to.unwrap(wire, received);
        runTasks(to);
        if (wire.remaining() == before) {
          break;
        }
      }
    } finally {
      wire.compact();
    }
  }

  private static void runTasks(SSLEngine engine) {
    for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
      task.run();
    }
  }

  private static boolean done(SSLEngine engine) {
    HandshakeStatus status = engine.getHandshakeStatus();
    return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
  }
}
