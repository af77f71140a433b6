package dev.wsgate.server;

import dev.wsgate.config.TlsFiles;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.Http2SslContextSpec;

/**
 * The one place where TLS files become what serves and connects: the listener's {@link SslContext}
 * ({@code server.tls}) and the upstream client's trust ({@code upstream.ca-file}), both with one {@link TlsEngine}.
 * The configuration check ({@link TlsFiles}, which {@link Gateway#tlsFiles()} hands to the loader) runs these very
 * methods with the engine that serves, so a file is accepted exactly when the gateway can load it, and the two can
 * never disagree.
 *
 * <p>Netty decides what a file is. When it refuses one, the refusal says what the file holds, from its
 * {@code -----BEGIN ...-----} lines alone, with the command that converts it: an explanation of Netty's refusal, never
 * a second opinion. Netty reads the PEM files itself, in Java, for either engine, so both accept and refuse the same
 * files. Neither checks that the key belongs to the certificate (BoringSSL is handed the pair per connection, at its
 * handshake), so a server context is only returned once a TLS handshake with it has succeeded, in memory, against a
 * client that trusts anything.
 */
final class TlsContexts implements TlsFiles {

  /** The most a file is read to explain a refusal: 1 MiB, far above any certificate chain. */
  private static final int EXPLAIN_BYTES = 1 << 20;
  private static final Pattern BEGIN = Pattern.compile("(?m)^-----BEGIN ([A-Z0-9 ]+)-----\\s*$");
  private static final String EXPECTED_CERT = "expected: a PEM file with -----BEGIN CERTIFICATE-----";
  private static final String EXPECTED_KEY = "expected: a PEM file with -----BEGIN PRIVATE KEY-----";
  /**
   * The buffer each OpenSSL engine allocates, natively, for its life, for what BoringSSL writes while reading
   * (TLS 1.3's session tickets after the handshake, alerts): 1 KiB, where Netty's default is 2 KiB. Measured on an
   * idle session after a TLS 1.3 handshake, BoringSSL then holds about 5 KiB instead of 6.5 KiB; session tickets
   * (about 500 bytes) still fit, and what does not (a TLS 1.2 handshake flight) waits in BoringSSL for the next wrap.
   */
  private static final int NON_APPLICATION_BIO_BYTES = 1024;

  /** Files that cannot be used; the message is one line: each file, then why. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<Refusal> refusals;

    Refused(List<Refusal> refusals) {
      super(refusals.stream().map(r -> r.file() + ": " + r.message()).collect(Collectors.joining("; ")), null,
          false, false);
      this.refusals = List.copyOf(refusals);
    }

    List<Refusal> refusals() {
      return refusals;
    }
  }

  private static final TlsContexts OPENSSL = new TlsContexts(TlsEngine.OPENSSL);
  private static final TlsContexts JDK = new TlsContexts(TlsEngine.JDK);

  private final TlsEngine engine;

  private TlsContexts(TlsEngine engine) {
    this.engine = engine;
  }

  /** Contexts built with the given engine (OpenSSL's needs {@code OpenSsl.isAvailable()}). */
  static TlsContexts of(TlsEngine engine) {
    return engine == TlsEngine.OPENSSL ? OPENSSL : JDK;
  }

  /**
   * Contexts built with the engine {@link TlsEngine#choose()} picks now.
   *
   * @throws IllegalStateException when {@code -Dwsgate.tls.engine} asks for an engine that cannot be had
   */
  static TlsContexts chosen() {
    return of(TlsEngine.choose().engine());
  }

  TlsEngine engine() {
    return engine;
  }

  // ------------------------------------------------------------------------------------------ what loads files

  /**
   * The listener's TLS: the certificate chain (leaf first) and its private key, as Reactor Netty's HTTP/1.1 server
   * spec loads them, proven by a TLS handshake.
   *
   * @throws Refused when Netty cannot load a file, or the pair does not complete a handshake
   */
  SslContext server(Path cert, Path key) throws Refused {
    return server(cert, key, false);
  }

  /**
   * The listener's TLS, as {@link #server(Path, Path)}; with {@code http2} ({@code server.http2: on}) as Reactor
   * Netty's HTTP/2 server spec has it: ALPN offering {@code h2} then {@code http/1.1}, and the cipher suites HTTP/2
   * allows (RFC 9113 9.2.2).
   */
  SslContext server(Path cert, Path key, boolean http2) throws Refused {
    SslContext context;
    try {
      context = http2
          ? Http2SslContextSpec.forServer(cert.toFile(), key.toFile())
              .configure(builder -> builder.sslProvider(engine.provider()))
              .sslContext()
          : Http11SslContextSpec.forServer(cert.toFile(), key.toFile())
              .configure(builder -> builder.sslProvider(engine.provider()))
              .sslContext();
      lean(context);
    } catch (IllegalArgumentException | SSLException e) {
      throw new Refused(whyNotServer(cert, key, e));
    }
    try {
      TrialHandshake.run(context);
    } catch (SSLException | RuntimeException e) {
      throw new Refused(List.of(whyNoHandshake(cert, key, e).asPrivateKey()));
    }
    return context;
  }

  /**
   * The upstream client's TLS: trusting the certificates of {@code caFile}, or, without one, the JDK's trust store.
   *
   * @throws Refused when Netty cannot load the CA file
   */
  SslContext upstream(Optional<Path> caFile) throws Refused {
    try {
      return lean(Http11SslContextSpec.forClient()
          .configure(builder -> {
            builder.sslProvider(engine.provider());
            caFile.ifPresent(ca -> builder.trustManager(ca.toFile()));
          })
          .sslContext());
    } catch (IllegalArgumentException | SSLException e) {
      if (caFile.isEmpty()) {
        throw new IllegalStateException("cannot build the upstream TLS client with the JDK's trust store: "
            + reason(e), e);
      }
      throw new Refused(List.of(notCertificates(caFile.get(), e)));
    }
  }

  /** An OpenSSL context's engines with a smaller buffer than Netty's default ({@link #NON_APPLICATION_BIO_BYTES}). */
  private static SslContext lean(SslContext context) {
    if (context instanceof ReferenceCountedOpenSslContext openSsl) {
      openSsl.setBioNonApplicationBufferSize(NON_APPLICATION_BIO_BYTES);
    }
    return context;
  }

  // ------------------------------------------------------------------------------------------------ the check

  @Override
  public List<Refusal> checkServer(Path cert, Path key) {
    try {
      server(cert, key);
      return List.of();
    } catch (Refused e) {
      return e.refusals();
    }
  }

  @Override
  public List<Refusal> checkTrust(Path caFile) {
    try {
      upstream(Optional.of(caFile));
      return List.of();
    } catch (Refused e) {
      return e.refusals();
    }
  }

  // -------------------------------------------------------------------------------- explaining Netty's refusals

  private static List<Refusal> whyNotServer(Path cert, Path key, Exception e) {
    if (e instanceof SSLException) {
      return List.of(new Refusal(key, "cannot serve TLS with the certificate " + cert + ": " + reason(e)
          + " (expected: the private key of the first certificate in server.tls.cert)").asPrivateKey());
    }
    if (!causedBy(e, CertificateException.class)) {
      return List.of(notPrivateKey(key, e).asPrivateKey());
    }
    // Netty stopped at the certificate: the key is judged too, by the loader it would have gone on to.
    List<Refusal> out = new ArrayList<>();
    out.add(notCertificates(cert, e));
    try {
      NettyLoader.privateKey(key.toFile());
    } catch (Exception keyRefused) {
      out.add(notPrivateKey(key, keyRefused).asPrivateKey());
    }
    return out;
  }

  private static Refusal whyNoHandshake(Path cert, Path key, Exception e) {
    if (e instanceof TrialHandshake.ClientRefused || !sameAlgorithm(cert, key)) {
      return new Refusal(key, "does not match the certificate " + cert + " (expected: the private key of the first "
          + "certificate in server.tls.cert)");
    }
    return new Refusal(key, "cannot serve TLS with the certificate " + cert + ": a trial handshake failed: "
        + reason(e) + " (expected: an RSA or EC certificate and its private key)");
  }

  /** False when the key is plainly not that of the certificate: RSA for EC, say. */
  private static boolean sameAlgorithm(Path cert, Path key) {
    try {
      X509Certificate leaf = NettyLoader.certificates(cert.toFile())[0];
      PrivateKey privateKey = NettyLoader.privateKey(key.toFile());
      return leaf.getPublicKey().getAlgorithm().equals(privateKey.getAlgorithm());
    } catch (Exception e) {
      return true;
    }
  }

  private static Refusal notCertificates(Path file, Exception netty) {
    Optional<Refusal> unreadable = TlsFiles.unreadable(file);
    if (unreadable.isPresent()) {
      return unreadable.get();
    }
    List<String> blocks = blocks(file);
    if (blocks == null) {
      return new Refusal(file, "not a readable certificate (" + EXPECTED_CERT + "; " + reason(netty) + ")");
    }
    if (blocks.contains("CERTIFICATE")) {
      return new Refusal(file, "not a readable certificate (expected: X.509 in PEM; " + reason(netty) + ")");
    }
    if (blocks.isEmpty()) {
      return new Refusal(file, "no certificate in it, nor any PEM block (" + EXPECTED_CERT + "; a DER certificate "
          + "converts with: openssl x509 -inform der -in " + file.getFileName() + " -out cert.pem)");
    }
    return new Refusal(file, "no certificate in it, only " + listed(blocks) + " (" + EXPECTED_CERT + ")");
  }

  private static Refusal notPrivateKey(Path file, Exception netty) {
    Optional<Refusal> unreadable = TlsFiles.unreadable(file);
    if (unreadable.isPresent()) {
      return unreadable.get();
    }
    List<String> blocks = blocks(file);
    if (blocks == null) {
      return new Refusal(file, "not a readable private key (" + EXPECTED_KEY + "; " + reason(netty) + ")");
    }
    String name = file.getFileName().toString();
    // Netty reads the first block that is a private key of any kind.
    String type = blocks.stream().filter(b -> b.endsWith("PRIVATE KEY")).findFirst().orElse(null);
    if (type == null) {
      return new Refusal(file, "no private key in it" + (blocks.isEmpty() ? ", nor any PEM block"
          : ", only " + listed(blocks)) + " (" + EXPECTED_KEY + ")");
    }
    String convert = "convert it with: openssl pkcs8 -topk8 -nocrypt -in " + name + " -out key-pkcs8.pem";
    return switch (type) {
      case "RSA PRIVATE KEY" -> new Refusal(file, "a PKCS#1 RSA key (expected: PKCS#8, -----BEGIN PRIVATE KEY-----; "
          + convert + ")");
      case "EC PRIVATE KEY" -> new Refusal(file, "a SEC1 EC key (expected: PKCS#8, -----BEGIN PRIVATE KEY-----; "
          + convert + ")");
      case "ENCRYPTED PRIVATE KEY" -> new Refusal(file, "an encrypted key (expected: an unencrypted PKCS#8 key; "
          + "decrypt it with: openssl pkcs8 -in " + name + " -out key-pkcs8.pem)");
      case "PRIVATE KEY" -> new Refusal(file, "a PKCS#8 key that is not RSA, EC or DSA, or is damaged (expected: an "
          + "RSA or EC key, -----BEGIN PRIVATE KEY-----; " + reason(netty) + ")");
      default -> new Refusal(file, "a key in a format of its own, -----BEGIN " + type + "----- (expected: PKCS#8, "
          + "-----BEGIN PRIVATE KEY-----; " + convert + ")");
    };
  }

  /** The types of the file's {@code -----BEGIN ...-----} lines, in order; null when it cannot be read. */
  private static List<String> blocks(Path file) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(EXPLAIN_BYTES);
    } catch (IOException e) {
      return null;
    }
    List<String> out = new ArrayList<>();
    Matcher m = BEGIN.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
    while (m.find()) {
      if (!out.contains(m.group(1))) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  private static String listed(List<String> blocks) {
    return blocks.stream().map(b -> "-----BEGIN " + b + "-----").collect(Collectors.joining(", "));
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Netty's own reason, in one line: the cause of its "File does not contain valid ..." (which names the file
   * again), else the message itself.
   */
  private static String reason(Throwable e) {
    Throwable t = e instanceof IllegalArgumentException && e.getCause() != null ? e.getCause() : e;
    String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    return message.replaceAll("\\s+", " ").strip();
  }

  /**
   * Netty's loaders of PEM certificates and keys: those {@link SslContextBuilder#forServer(File, File)} calls, here
   * reached to judge the key when Netty stopped at the certificate, and to tell a key of another kind.
   */
  private abstract static class NettyLoader extends SslContext {
    static X509Certificate[] certificates(File file) throws CertificateException {
      return toX509Certificates(file);
    }

    static PrivateKey privateKey(File file) throws Exception {
      return toPrivateKey(file, null);
    }
  }
}
