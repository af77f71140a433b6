package dev.wsgate.server;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;

/**
 * The TLS implementation behind the listener's {@code wss://} and the {@code wss://} upstream client: BoringSSL
 * through Netty's OpenSSL engine where its native library loads (Linux x86-64, bundled), else the JDK's.
 *
 * <p>{@code -Dwsgate.tls.engine=openssl|jdk} forces one (for benchmarks and tests; {@code auto}, the default, takes
 * OpenSSL where it loads). Forcing OpenSSL where it does not load is an error, not a silent fallback.
 */
public enum TlsEngine {

  /**
   * BoringSSL (netty-tcnative-boringssl-static), as Netty's {@link SslProvider#OPENSSL}: the {@code SslHandler} frees
   * an engine's native state when its connection ends, and a finalizer frees it if nothing else did. Not
   * {@link SslProvider#OPENSSL_REFCNT}, whose contexts and engines are freed only by an explicit release: wsgate
   * builds contexts it then drops (every configuration check, every reload's upstream trust, whose old context live
   * sessions may still use), and a missed release there would be native memory lost for good, where this way the
   * garbage collector gets it back. The finalizers cost an engine one more collection before it is gone; the
   * handler has freed its native memory long before.
   */
  OPENSSL("OpenSSL (BoringSSL)", SslProvider.OPENSSL),
  /** The JDK's {@code SSLEngine} ({@link SslProvider#JDK}). */
  JDK("JDK", SslProvider.JDK);

  /** The system property that forces an engine: {@code auto} (the default), {@code openssl} or {@code jdk}. */
  public static final String PROPERTY = "wsgate.tls.engine";

  private final String displayName;
  private final SslProvider provider;

  TlsEngine(String displayName, SslProvider provider) {
    this.displayName = displayName;
    this.provider = provider;
  }

  SslProvider provider() {
    return provider;
  }

  @Override
  public String toString() {
    return displayName;
  }

  /** An engine and why it was chosen, in words for the start-up log; a fallback is the JDK's for want of OpenSSL. */
  record Choice(TlsEngine engine, String why, boolean fallback) {
  }

  /**
   * The engine {@code -Dwsgate.tls.engine} asks for, else OpenSSL where it loads, else the JDK's.
   *
   * @throws IllegalStateException when the property names no engine, or forces OpenSSL where it does not load
   */
  static Choice choose() {
    String asked = System.getProperty(PROPERTY, "auto").strip().toLowerCase(Locale.ROOT);
    return switch (asked) {
      case "", "auto" -> OpenSsl.isAvailable()
          ? new Choice(OPENSSL, "its native library loaded", false)
          : new Choice(JDK, "OpenSSL did not load: " + cause(), true);
      case "openssl" -> {
        if (!OpenSsl.isAvailable()) {
          throw new IllegalStateException("-D" + PROPERTY + "=openssl, but OpenSSL did not load: " + cause());
        }
        yield new Choice(OPENSSL, "as -D" + PROPERTY + "=openssl asks", false);
      }
      case "jdk" -> new Choice(JDK, "as -D" + PROPERTY + "=jdk asks", false);
      default -> throw new IllegalStateException("-D" + PROPERTY + "=" + asked
          + ": no such TLS engine (expected: auto, openssl or jdk)");
    };
  }

  private static String cause() {
    Throwable top = OpenSsl.unavailabilityCause();
    if (top == null) {
      return "no reason given";
    }
    Throwable root = top;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == top ? String.valueOf(top) : top + " (" + root + ")";
  }
}
