package dev.wsgate.server;

import io.netty.handler.ssl.OpenSsl;
import java.util.List;
import java.util.Locale;

/**
 * The TLS engines a test runs with: the JDK's always, OpenSSL where it loads, which it must on Linux x86-64 (the
 * platform whose BoringSSL wsgate ships), so that a missing native library fails there instead of going untested.
 */
final class TlsEngines {

  private TlsEngines() {
  }

  static List<TlsEngine> all() {
    return OpenSsl.isAvailable() ? List.of(TlsEngine.OPENSSL, TlsEngine.JDK) : List.of(TlsEngine.JDK);
  }

  /** Whether wsgate bundles BoringSSL for this platform, so that the OpenSSL engine must load. */
  static boolean bundled() {
    String arch = System.getProperty("os.arch", "");
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
        && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  /** {@code -Dwsgate.tls.engine} set until closed, then restored. Tests run one at a time in a JVM. */
  static Forced force(TlsEngine engine) {
    return force(engine.name().toLowerCase(Locale.ROOT));
  }

  static Forced force(String value) {
    String before = System.getProperty(TlsEngine.PROPERTY);
    System.setProperty(TlsEngine.PROPERTY, value);
    return new Forced(before);
  }

  static final class Forced implements AutoCloseable {
    private final String before;

    private Forced(String before) {
      this.before = before;
    }

    @Override
    public void close() {
      if (before == null) {
        System.clearProperty(TlsEngine.PROPERTY);
      } else {
        System.setProperty(TlsEngine.PROPERTY, before);
      }
    }
  }
}
