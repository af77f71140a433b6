package dev.wsgate.config;

import java.nio.file.Path;
import java.util.Optional;

/** TLS files are judged by the {@link TlsFiles} of the stack that loads them; each refusal at the key naming it. */
final class TlsFilesCheck {
  private TlsFilesCheck() {
  }

  static void check(Bound<ServerConfig> server, Bound<UpstreamConfig> upstream, TlsFiles tlsFiles,
      Problems problems) {
    Bound.Located<Optional<Path>> cert = server.located(Schema.TLS_CERT);
    Bound.Located<Optional<Path>> key = server.located(Schema.TLS_KEY);
    if (present(cert) && present(key)) {
      for (TlsFiles.Refusal r : tlsFiles.checkServer(cert.value().get(), key.value().get())) {
        At at = r.privateKey() || !r.file().equals(cert.value().get()) ? key.at() : cert.at();
        problems.add(at, r.file() + ": " + r.message());
      }
    }
    Bound.Located<Optional<Path>> ca = upstream.located(Schema.CA_FILE);
    if (present(ca)) {
      for (TlsFiles.Refusal r : tlsFiles.checkTrust(ca.value().get())) {
        problems.add(ca.at(), r.file() + ": " + r.message());
      }
    }
  }

  private static boolean present(Bound.Located<Optional<Path>> file) {
    return file.value() != null && file.value().isPresent();
  }
}
