package dev.wsgate.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks PEM files at load time with the JDK alone, so that a TLS mistake is a configuration error with a line, not a
 * failure when the first client connects.
 */
final class PemFiles {

  /** The largest PEM file read: 1 MiB, far above any certificate chain. */
  static final int MAX_BYTES = 1 << 20;

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
  private static final byte[] CHALLENGE = "wsgate key check".getBytes(StandardCharsets.US_ASCII);

  /** Why a file cannot be used; the message reads after the file name. */
  static final class PemException extends Exception {
    private static final long serialVersionUID = 1L;

    PemException(String message) {
      super(message);
    }
  }

  private PemFiles() {
  }

  /** The certificates of a PEM file, leaf first. */
  static List<X509Certificate> certificates(Path file) throws PemException {
    String text = read(file);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new PemException("no certificate in it (expected: a PEM file with -----BEGIN CERTIFICATE-----)");
    }
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      Collection<? extends Certificate> certs = factory.generateCertificates(
          new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : certs) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new PemException("no certificate in it (expected: a PEM file with -----BEGIN CERTIFICATE-----)");
      }
      return out;
    } catch (CertificateException e) {
      throw new PemException("not a readable certificate (expected: X.509 in PEM; " + e.getMessage() + ")");
    }
  }

  /** The private key of a PEM file in PKCS#8, unencrypted. */
  static PrivateKey privateKey(Path file) throws PemException {
    String text = read(file);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      switch (type) {
        case "PRIVATE KEY":
          return decodePkcs8(m.group(2));
        case "RSA PRIVATE KEY":
        case "EC PRIVATE KEY":
          throw new PemException("a " + (type.startsWith("RSA") ? "PKCS#1 RSA" : "SEC1 EC") + " key (expected: "
              + "PKCS#8, -----BEGIN PRIVATE KEY-----; convert it with: openssl pkcs8 -topk8 -nocrypt -in "
              + file.getFileName() + " -out key-pkcs8.pem)");
        case "ENCRYPTED PRIVATE KEY":
          throw new PemException("an encrypted key (expected: an unencrypted PKCS#8 key; decrypt it with: openssl "
              + "pkcs8 -in " + file.getFileName() + " -out key-pkcs8.pem)");
        default:
          // not a key; look further
      }
    }
    throw new PemException("no private key in it (expected: a PEM file with -----BEGIN PRIVATE KEY-----)");
  }

  /** True when the key signs what the certificate's public key verifies. */
  static boolean matches(PrivateKey key, PublicKey publicKey) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (algorithm == null || !publicKey.getAlgorithm().equals(key.getAlgorithm())
        && !(algorithm.startsWith("Ed") && publicKey.getAlgorithm().startsWith("Ed"))) {
      return false;
    }
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(CHALLENGE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(CHALLENGE);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static PrivateKey decodePkcs8(String base64) throws PemException {
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new PemException("a key block that is not valid base64 (expected: PKCS#8 in PEM)");
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException notThisOne) {
        // try the next algorithm
      }
    }
    throw new PemException("a key that is not RSA, EC or EdDSA, or is damaged (expected: PKCS#8 in PEM)");
  }

  private static String read(Path file) throws PemException {
    if (Files.isDirectory(file)) {
      throw new PemException("is a directory (expected: a PEM file)");
    }
    byte[] bytes;
    try (var in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new PemException("no such file");
    } catch (AccessDeniedException e) {
      throw new PemException("permission denied");
    } catch (IOException e) {
      throw new PemException("cannot be read: " + e.getMessage());
    }
    if (bytes.length > MAX_BYTES) {
      throw new PemException("larger than 1 MiB (expected: a PEM file)");
    }
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
