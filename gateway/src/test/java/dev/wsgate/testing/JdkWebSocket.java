package dev.wsgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A client from the JDK ({@link java.net.http.WebSocket}), as an application would use it, with its own TLS trust:
 * whole messages and the close arrive in a queue, every wait is bounded.
 */
public final class JdkWebSocket implements AutoCloseable {

  /** Every wait of this client, unless a test says otherwise. */
  public static final Duration TIMEOUT = Duration.ofSeconds(20);

  /** A received close frame. */
  public record Close(int code, String reason) {
  }

  private final WebSocket socket;
  private final BlockingQueue<Object> received;

  private JdkWebSocket(WebSocket socket, BlockingQueue<Object> received) {
    this.socket = socket;
    this.received = received;
  }

  /** An SSL context that trusts exactly the certificates in {@code pemFile} (no system trust store). */
  public static SSLContext trusting(Path pemFile) throws IOException, GeneralSecurityException {
    return trusting(pemFile, "TLS");
  }

  /**
   * An SSL context of the given protocol ({@code TLSv1.2}: a client that offers TLS 1.2 at most) that trusts exactly
   * the certificates in {@code pemFile}.
   */
  public static SSLContext trusting(Path pemFile, String protocol) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(pemFile)) {
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("trusted-" + i++, cert);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance(protocol);
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /**
   * Connects, waiting at most {@link #TIMEOUT}; a failed handshake (TLS or HTTP) throws the
   * {@link java.util.concurrent.ExecutionException} of the JDK with its cause.
   */
  public static JdkWebSocket connect(URI uri, SSLContext ssl) throws Exception {
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(TIMEOUT);
    if (ssl != null) {
      http.sslContext(ssl);
    }
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    WebSocket ws = http.build().newWebSocketBuilder()
        .connectTimeout(TIMEOUT)
        .buildAsync(uri, new Collector(received))
        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    return new JdkWebSocket(ws, received);
  }

  public void sendText(String text) throws Exception {
    socket.sendText(text, true).toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  public void sendBinary(byte[] data) throws Exception {
    socket.sendBinary(ByteBuffer.wrap(data), true).toCompletableFuture().get(TIMEOUT.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  public void sendClose(int code, String reason) throws Exception {
    socket.sendClose(code, reason).toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The next whole message ({@code String} or {@code byte[]}) or {@link Close}, waiting at most {@link #TIMEOUT}. */
  public Object next() throws InterruptedException {
    Object o = received.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (o == null) {
      throw new AssertionError("nothing received within " + TIMEOUT);
    }
    if (o instanceof Throwable) {
      throw new AssertionError("the WebSocket failed", (Throwable) o);
    }
    return o;
  }

  @Override
  public void close() {
    socket.abort();
  }

  /** Collects whole messages (fragments joined), the close, or the error. */
  private static final class Collector implements WebSocket.Listener {
    private final BlockingQueue<Object> received;
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

    Collector(BlockingQueue<Object> received) {
      this.received = received;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        received.add(text.toString());
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      binary.writeBytes(bytes);
      if (last) {
        received.add(binary.toByteArray());
        binary.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      received.add(new Close(statusCode, reason));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      received.add(error);
    }
  }
}
