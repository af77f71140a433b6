package dev.wsgate.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * What the TLS state of one idle session holds, and nothing else: {@code N} server engines of wsgate's own listener
 * context ({@link TlsContexts#server}) each after a full TLS 1.3 handshake in memory (the client keeps no session to
 * resume) with a client that sends the server name ({@code localhost}, as browsers send theirs), kept, and the live
 * heap and resident memory they add, per engine. Run in a JVM of its own with the heap pre-touched ({@code -Xms} =
 * {@code -Xmx}, {@code -XX:+AlwaysPreTouch}), so that resident memory grows only by what is held outside the heap:
 * BoringSSL's allocations. Not a test: {@link dev.wsgate.bench.TlsSessionBenchmark} runs it.
 *
 * <pre>
 * java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -cp ... dev.wsgate.server.TlsEngineFootprint openssl|jdk N CERT KEY
 * </pre>
 * Prints one line: {@code footprint ENGINE heap BYTES native BYTES resumed COUNT} (bytes per engine; the count of
 * handshakes the client saw resumed, which must be 0).
 */
public final class TlsEngineFootprint {

  private static int resumed;

  private TlsEngineFootprint() {
  }

  public static void main(String[] args) throws Exception {
    TlsEngine engine = TlsEngine.valueOf(args[0].toUpperCase(Locale.ROOT));
    // Before Netty's OpenSSL classes load: the client keeps no session, so that every handshake is a full one.
    System.setProperty("io.netty.handler.ssl.openssl.sessionCacheClient", "false");
    int n = Integer.parseInt(args[1]);
    SslContext server = TlsContexts.of(engine).server(Path.of(args[2]), Path.of(args[3]));
    SslContext client = SslContextBuilder.forClient()
        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        .build();
    List<SSLEngine> kept = new ArrayList<>(n);
    handshakes(server, client, n, null); // the JIT compiler's work, the allocators' first growth
    long heap0 = liveHeap();
    long rss0 = rss();
    resumed = 0;
    handshakes(server, client, n, kept);
    long heap1 = liveHeap();
    long rss1 = rss();
    System.out.printf(Locale.ROOT, "footprint %s heap %d native %d resumed %d%n",
        engine.name().toLowerCase(Locale.ROOT), (heap1 - heap0) / n, (rss1 - rss0) / n, resumed);
    kept.forEach(ReferenceCountUtil::release);
  }

  /** {@code n} handshakes; the server engines go to {@code kept}, or are released when it is null. */
  private static void handshakes(SslContext server, SslContext client, int n, List<SSLEngine> kept)
      throws Exception {
    ByteBuffer toServer = ByteBuffer.allocateDirect(64 * 1024);
    ByteBuffer toClient = ByteBuffer.allocateDirect(64 * 1024);
    ByteBuffer app = ByteBuffer.allocateDirect(64 * 1024);
    for (int i = 0; i < n; i++) {
      SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
      SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
      c.beginHandshake();
      s.beginHandshake();
      for (int round = 0; round < 20 && !(done(c) && done(s)); round++) {
        pass(c, s, toServer, app);
        pass(s, c, toClient, app);
      }
      if (!(done(c) && done(s))) {
        throw new IllegalStateException("no handshake");
      }
      for (int round = 0; round < 3; round++) { // what is written after the handshake: TLS 1.3's session tickets
        pass(s, c, toClient, app);
        pass(c, s, toServer, app);
      }
      if (reused(c)) {
        resumed++;
      }
      toServer.clear();
      toClient.clear();
      ReferenceCountUtil.release(c);
      if (kept != null) {
        kept.add(s);
      } else {
        ReferenceCountUtil.release(s);
      }
    }
  }

  private static void pass(SSLEngine from, SSLEngine to, ByteBuffer wire, ByteBuffer app) throws Exception {
    from.wrap(ByteBuffer.allocate(0), wire);
    tasks(from);
    wire.flip();
    while (wire.hasRemaining()) {
      int before = wire.remaining();
      app.clear();
      to.unwrap(wire, app);
      tasks(to);
      if (wire.remaining() == before) {
        break;
      }
    }
    wire.compact();
  }

  /** Netty's OpenSSL engine's {@code isSessionReused()}, package-private. */
  private static boolean reused(SSLEngine client) throws Exception {
    Method m = Class.forName("io.netty.handler.ssl.ReferenceCountedOpenSslEngine")
        .getDeclaredMethod("isSessionReused");
    m.setAccessible(true);
    return m.getDeclaringClass().isInstance(client) && (Boolean) m.invoke(client);
  }

  private static void tasks(SSLEngine e) {
    for (Runnable t = e.getDelegatedTask(); t != null; t = e.getDelegatedTask()) {
      t.run();
    }
  }

  private static boolean done(SSLEngine e) {
    HandshakeStatus s = e.getHandshakeStatus();
    return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
  }

  private static long liveHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  private static long rss() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS");
  }
}
