package dev.wsgate.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /}: the status page, one self-contained HTML file ({@code status.html} next to this class: inline CSS
 * and script, nothing from another host), and the Content-Security-Policy that lets only its own inline script and
 * style run, by their SHA-256, and lets the script fetch only from the admin listener itself.
 */
final class StatusPage {

  static final String HTML = load();

  /** Only the page's own script and style, fetches to the admin listener only; no frames, forms or plugins. */
  static final String CSP = "default-src 'none'; connect-src 'self'; script-src " + hash(HTML, "script")
      + "; style-src " + hash(HTML, "style") + "; img-src 'self'; base-uri 'none'; form-action 'none'; "
      + "frame-ancestors 'none'";

  private StatusPage() {
  }

  private static String load() {
    try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
      if (in == null) {
        throw new IllegalStateException("status.html is not on the class path next to " + StatusPage.class);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CSP source of the one inline {@code <tag>} element of the page: {@code 'sha256-...'}. */
  static String hash(String html, String tag) {
    Matcher m = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(html);
    if (!m.find()) {
      throw new IllegalStateException("status.html has no <" + tag + ">");
    }
    String body = m.group(1);
    if (m.find()) {
      throw new IllegalStateException("status.html has more than one <" + tag + ">");
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
      return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
