package dev.wsgate.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether TLS files can be used, by loading them exactly as the server will. The gateway module supplies
 * the implementation (the TLS stack that serves and connects); this module stays free of Netty and only places
 * each refusal at the line and column of the key that names the file.
 */
public interface TlsFiles {

  /**
   * Only that each file is there and readable: what this module can tell without the server's TLS stack. The
   * gateway replaces it with the check of the stack that loads the files.
   */
  TlsFiles READABLE = new TlsFiles() {
    @Override
    public List<Refusal> checkServer(Path cert, Path key) {
      List<Refusal> out = new ArrayList<>();
      unreadable(cert).ifPresent(out::add);
      unreadable(key).map(Refusal::asPrivateKey).ifPresent(out::add);
      return out;
    }

    @Override
    public List<Refusal> checkTrust(Path caFile) {
      return unreadable(caFile).stream().toList();
    }
  };

  /**
   * Loads a certificate chain (leaf first) and its private key as the listener will; empty when they serve. A refusal
   * of the key is {@linkplain Refusal#asPrivateKey() marked so}: both may be one file.
   */
  List<Refusal> checkServer(Path cert, Path key);

  /** Loads the certificates trusted for {@code wss://} upstreams as the upstream client will; empty when usable. */
  List<Refusal> checkTrust(Path caFile);

  /** Why a file that is missing, a directory or unreadable cannot be used, in the words every implementation uses. */
  static Optional<Refusal> unreadable(Path file) {
    if (Files.isDirectory(file)) {
      return Optional.of(new Refusal(file, "is a directory (expected: a PEM file)"));
    }
    if (!Files.exists(file)) {
      return Optional.of(new Refusal(file, "no such file"));
    }
    if (!Files.isReadable(file)) {
      return Optional.of(new Refusal(file, "permission denied"));
    }
    return Optional.empty();
  }

  /**
   * A file that cannot be used.
   *
   * @param file       the file at fault: the error is reported at the YAML key that names it
   * @param message    what is wrong, read after the file name: {@code no certificate in it (expected: ...)}
   * @param privateKey true when the file was refused as the private key of {@code server.tls}, which tells the keys
   *                   apart when {@code cert} and {@code key} name the same file
   */
  record Refusal(Path file, String message, boolean privateKey) {

    /** A refusal of a file as certificates: {@code server.tls.cert} or {@code upstream.ca-file}. */
    public Refusal(Path file, String message) {
      this(file, message, false);
    }

    /** This refusal, of the file as the private key of {@code server.tls}. */
    public Refusal asPrivateKey() {
      return new Refusal(file, message, true);
    }
  }
}
