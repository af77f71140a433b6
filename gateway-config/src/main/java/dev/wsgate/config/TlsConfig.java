package dev.wsgate.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for the client-facing listener ({@code server.tls}). Both files are PEM; they were checked when the
 * configuration was loaded, by the {@link TlsFiles} check the loader was given (the gateway's loads them as the
 * listener does and proves with a handshake that the key is the certificate's).
 *
 * @param cert the certificate chain, leaf first, resolved against the configuration file's directory
 * @param key  the private key in PKCS#8 ({@code BEGIN PRIVATE KEY}), unencrypted
 */
public record TlsConfig(Path cert, Path key) {
  public TlsConfig {
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
  }
}
