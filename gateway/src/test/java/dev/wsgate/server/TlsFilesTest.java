package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsgate.config.ConfigError;
import dev.wsgate.config.ConfigException;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.TlsConfig;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS files judged by the code that loads them for the listener and the upstream client ({@link TlsContexts}), each
 * refusal placed by the configuration loader at the key that names the file; with each {@link TlsEngine}, which
 * judge alike (Netty reads the PEM files itself for both; BoringSSL accepts no key form the JDK's engine refuses).
 * No network: the check's handshake is in memory.
 */
class TlsFilesTest {

  private static final String ROUTE = "routes:\n  - path: /\n    upstreams: [ws://backend:8000]\n";
  private static final String EXPECTED_CERT = "(expected: a PEM file with -----BEGIN CERTIFICATE-----)";

  static Stream<Arguments> cases() {
    return TlsEngines.all().stream().flatMap(engine -> fileCases()
        .map(a -> Arguments.of(engine, a.get()[0], a.get()[1], a.get()[2])));
  }

  private static Stream<Arguments> fileCases() {
    return Stream.of(
        bad("CA file that is a key", """
            upstream:
              connect-timeout: 5s
              ca-file: tls/rsa-key.pem
            """ + ROUTE,
            "3:12: upstream.ca-file: {dir}/tls/rsa-key.pem: no certificate in it, only -----BEGIN PRIVATE KEY----- "
                + EXPECTED_CERT),
        bad("CA file missing", """
            upstream:
              ca-file: tls/nowhere.pem
            """ + ROUTE,
            "2:12: upstream.ca-file: {dir}/tls/nowhere.pem: no such file"),
        bad("CA file that is a directory", """
            upstream:
              ca-file: tls
            """ + ROUTE,
            "2:12: upstream.ca-file: {dir}/tls: is a directory (expected: a PEM file)"),
        bad("TLS key in PKCS#1", """
            server:
              tls:
                cert: tls/rsa-cert.pem
                key: tls/rsa-pkcs1-key.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/rsa-pkcs1-key.pem: a PKCS#1 RSA key (expected: PKCS#8, -----BEGIN "
                + "PRIVATE KEY-----; convert it with: openssl pkcs8 -topk8 -nocrypt -in rsa-pkcs1-key.pem -out "
                + "key-pkcs8.pem)"),
        bad("TLS key in SEC1", """
            server:
              tls:
                cert: tls/ec-cert.pem
                key: tls/ec-sec1-key.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/ec-sec1-key.pem: a SEC1 EC key (expected: PKCS#8, -----BEGIN "
                + "PRIVATE KEY-----; convert it with: openssl pkcs8 -topk8 -nocrypt -in ec-sec1-key.pem -out "
                + "key-pkcs8.pem)"),
        bad("TLS key encrypted", """
            server:
              tls:
                cert: tls/rsa-cert.pem
                key: tls/encrypted-key.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/encrypted-key.pem: an encrypted key (expected: an unencrypted PKCS#8 "
                + "key; decrypt it with: openssl pkcs8 -in encrypted-key.pem -out key-pkcs8.pem)"),
        bad("TLS key of another certificate", """
            server:
              tls:
                cert: tls/rsa-cert.pem
                key: tls/other-rsa-key.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/other-rsa-key.pem: does not match the certificate "
                + "{dir}/tls/rsa-cert.pem (expected: the private key of the first certificate in server.tls.cert)"),
        bad("TLS key of another kind than the certificate", """
            server:
              tls:
                cert: tls/ec-cert.pem
                key: tls/rsa-key.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/rsa-key.pem: does not match the certificate "
                + "{dir}/tls/ec-cert.pem (expected: the private key of the first certificate in server.tls.cert)"),
        bad("TLS certificate that is a key", """
            server:
              tls:
                cert: tls/rsa-key.pem
                key: tls/rsa-key.pem
            """ + ROUTE,
            "3:11: server.tls.cert: {dir}/tls/rsa-key.pem: no certificate in it, only -----BEGIN PRIVATE KEY----- "
                + EXPECTED_CERT),
        bad("TLS key that is a certificate", """
            server:
              tls:
                cert: tls/rsa-cert.pem
                key: tls/rsa-cert.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/rsa-cert.pem: no private key in it, only -----BEGIN CERTIFICATE----- "
                + "(expected: a PEM file with -----BEGIN PRIVATE KEY-----)"),
        bad("TLS certificate and key both wrong, both reported", """
            server:
              tls:
                cert: tls/rsa-pkcs1-key.pem
                key: tls/rsa-pkcs1-key.pem
            """ + ROUTE,
            "3:11: server.tls.cert: {dir}/tls/rsa-pkcs1-key.pem: no certificate in it, only -----BEGIN RSA PRIVATE "
                + "KEY----- " + EXPECTED_CERT,
            "4:10: server.tls.key: {dir}/tls/rsa-pkcs1-key.pem: a PKCS#1 RSA key (expected: PKCS#8, -----BEGIN "
                + "PRIVATE KEY-----; convert it with: openssl pkcs8 -topk8 -nocrypt -in rsa-pkcs1-key.pem -out "
                + "key-pkcs8.pem)"),
        bad("TLS files missing", """
            server:
              tls:
                cert: nowhere/cert.pem
                key: nowhere/key.pem
            """ + ROUTE,
            "3:11: server.tls.cert: {dir}/nowhere/cert.pem: no such file",
            "4:10: server.tls.key: {dir}/nowhere/key.pem: no such file"),
        bad("TLS key missing", """
            server:
              tls:
                cert: tls/ec-cert.pem
                key: tls/nowhere.pem
            """ + ROUTE,
            "4:10: server.tls.key: {dir}/tls/nowhere.pem: no such file"),
        bad("TLS certificate that is a directory", """
            server:
              tls:
                cert: tls
                key: tls/rsa-key.pem
            """ + ROUTE,
            "3:11: server.tls.cert: {dir}/tls: is a directory (expected: a PEM file)"));
  }

  @Test
  void theOpenSslEngineLoadsWhereWsgateBundlesIt() {
    if (TlsEngines.bundled()) {
      assertThat(OpenSsl.isAvailable()).as("OpenSSL on Linux x86-64: %s", OpenSsl.unavailabilityCause()).isTrue();
    }
    assertThat(TlsEngine.choose().engine()).isEqualTo(OpenSsl.isAvailable() ? TlsEngine.OPENSSL : TlsEngine.JDK);
  }

  @ParameterizedTest(name = "{1} ({0})")
  @MethodSource("cases")
  void refusesWithExactlyTheseErrors(TlsEngine engine, String name, String yaml, List<String> expected)
      throws URISyntaxException {
    Path dir = resourceDir();
    List<String> expectedWithDir = expected.stream().map(e -> "test.yaml:" + e.replace("{dir}", dir.toString()))
        .toList();
    assertThatThrownBy(() -> parse(yaml, dir, engine))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.errors()).map(ConfigError::toString).containsExactlyElementsOf(expectedWithDir));
  }

  static Stream<Arguments> pairs() {
    return TlsEngines.all().stream().flatMap(engine -> Stream.of("rsa", "ec").map(kind -> Arguments.of(kind, engine)));
  }

  @ParameterizedTest(name = "{0} pair ({1})")
  @MethodSource("pairs")
  void acceptsACertificateWithItsKeyAndServesWithTheEngineAsked(String kind, TlsEngine engine) throws Exception {
    Path dir = resourceDir();
    GatewayConfig config = parse("""
        server:
          tls:
            cert: tls/%1$s-cert.pem
            key: tls/%1$s-key.pem
        upstream:
          ca-file: tls/%1$s-cert.pem
        """.formatted(kind) + ROUTE, dir, engine);
    assertThat(config.server().tls()).contains(new TlsConfig(dir.resolve("tls/" + kind + "-cert.pem"),
        dir.resolve("tls/" + kind + "-key.pem")));
    assertThat(config.upstream().caFile()).contains(dir.resolve("tls/" + kind + "-cert.pem"));
    SslContext served = TlsContexts.of(engine).server(dir.resolve("tls/" + kind + "-cert.pem"),
        dir.resolve("tls/" + kind + "-key.pem"));
    assertThat(served).isInstanceOf(engine == TlsEngine.OPENSSL ? OpenSslContext.class : JdkSslContext.class);
    if (served instanceof OpenSslContext openSsl) {
      assertThat(openSsl.getBioNonApplicationBufferSize()).as("bytes each engine holds for writes while reading")
          .isEqualTo(1024);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void aFileWithNoPemBlockAtAllIsExplainedWithTheDerConversion(TlsEngine engine, @TempDir Path tmp)
      throws Exception {
    Path der = tmp.resolve("cert.der");
    Files.write(der, new byte[] {0x30, (byte) 0x82, 0x03, 0x0f, 0x30, (byte) 0x82});
    Path text = tmp.resolve("notes.txt");
    Files.writeString(text, "not a key\n", StandardCharsets.US_ASCII);
    assertThat(TlsContexts.of(engine).checkTrust(der)).extracting(r -> r.file() + ": " + r.message()).containsExactly(
        der + ": no certificate in it, nor any PEM block (expected: a PEM file with -----BEGIN CERTIFICATE-----; a "
            + "DER certificate converts with: openssl x509 -inform der -in cert.der -out cert.pem)");
    Path dir = resourceDir();
    assertThat(TlsContexts.of(engine).checkServer(dir.resolve("tls/rsa-cert.pem"), text))
        .extracting(r -> r.file() + ": " + r.message()).containsExactly(
            text + ": no private key in it, nor any PEM block (expected: a PEM file with -----BEGIN PRIVATE "
                + "KEY-----)");
  }

  /** A configuration bound without the check (files only readable) still cannot start with a key of another. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void theGatewayRefusesToStartWithTheKeyOfAnotherCertificateInOneLine(TlsEngine engine) throws Exception {
    Path dir = resourceDir();
    GatewayConfig unchecked = ConfigLoader.withEnvironment(Map.of()).parse("""
        server:
          listen: 127.0.0.1:0
          admin: 127.0.0.1:0
          tls:
            cert: tls/rsa-cert.pem
            key: tls/other-rsa-key.pem
        """ + ROUTE, "test.yaml", dir);
    try (TlsEngines.Forced forced = TlsEngines.force(engine)) {
      assertThatThrownBy(() -> Gateway.start(unchecked).close())
        .isInstanceOf(GatewayStartException.class)
        .hasMessage("cannot use TLS files: " + dir.resolve("tls/other-rsa-key.pem") + ": does not match the "
            + "certificate " + dir.resolve("tls/rsa-cert.pem") + " (expected: the private key of the first "
            + "certificate in server.tls.cert)");
    }
  }

  @Test
  void aTlsEngineThatIsNoneIsRefusedAtStart() throws Exception {
    GatewayConfig plain = ConfigLoader.withEnvironment(Map.of()).parse("server:\n  listen: 127.0.0.1:0\n"
        + "  admin: 127.0.0.1:0\n" + ROUTE, "test.yaml", resourceDir());
    try (TlsEngines.Forced forced = TlsEngines.force("gnutls")) {
      assertThatThrownBy(() -> Gateway.start(plain).close())
          .isInstanceOf(GatewayStartException.class)
          .hasMessage("-Dwsgate.tls.engine=gnutls: no such TLS engine (expected: auto, openssl or jdk)");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void theUpstreamTrustIsBuiltByTheCodeThatChecksIt(TlsEngine engine) throws Exception {
    Path dir = resourceDir();
    TlsContexts tls = TlsContexts.of(engine);
    SslContext trusting = tls.upstream(Optional.of(dir.resolve("tls/ec-cert.pem")));
    assertThat(trusting.isClient()).isTrue();
    assertThat(trusting).isInstanceOf(engine == TlsEngine.OPENSSL ? OpenSslContext.class : JdkSslContext.class);
    assertThat(tls.upstream(Optional.empty()).isClient()).isTrue();
    assertThatThrownBy(() -> tls.upstream(Optional.of(dir.resolve("tls/ec-key.pem"))))
        .isInstanceOf(TlsContexts.Refused.class)
        .hasMessage(dir.resolve("tls/ec-key.pem") + ": no certificate in it, only -----BEGIN PRIVATE KEY----- "
            + EXPECTED_CERT);
  }

  static List<TlsEngine> engines() {
    return TlsEngines.all();
  }

  private static GatewayConfig parse(String yaml, Path dir, TlsEngine engine) throws ConfigException {
    return ConfigLoader.withEnvironment(Map.of()).withTls(TlsContexts.of(engine)).parse(yaml, "test.yaml", dir);
  }

  private static Path resourceDir() throws URISyntaxException {
    return Path.of(TlsFilesTest.class.getResource("/tls/rsa-cert.pem").toURI()).getParent().getParent();
  }

  private static Arguments bad(String name, String yaml, String... errors) {
    return Arguments.of(name, yaml, List.of(errors));
  }
}
