package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Python scripts of {@code src/test/resources/peers/}: copied into a test's directory, with exact textual
 * substitutions (each must occur exactly once, so a seed changes only where the test says), and run with
 * {@link Peers#PYTHON}.
 */
final class PythonScripts {

  /** Python peers get UTF-8 on their standard streams whatever the locale, and unbuffered output. */
  static final Map<String, String> ENV = Map.of("PYTHONUTF8", "1", "PYTHONIOENCODING", "utf-8",
      "PYTHONUNBUFFERED", "1");

  private static final Pattern LISTENING = Pattern.compile("LISTENING (\\d+)");

  private PythonScripts() {
  }

  /** The text of {@code /peers/<name>}. */
  static String resource(String name) throws IOException {
    try (InputStream in = PythonScripts.class.getResourceAsStream("/peers/" + name)) {
      assertThat(in).as("test resource /peers/%s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Writes {@code /peers/<name>} into {@code dir}, each key of {@code replacements} (which must occur exactly once)
   * replaced by its value, in the map's order.
   */
  static Path write(Path dir, String name, Map<String, String> replacements) throws IOException {
    String text = resource(name);
    for (Map.Entry<String, String> r : replacements.entrySet()) {
      int at = text.indexOf(r.getKey());
      assertThat(at).as("%s contains %s", name, r.getKey()).isNotNegative();
      assertThat(text.indexOf(r.getKey(), at + 1)).as("%s contains %s only once", name, r.getKey()).isNegative();
      text = text.substring(0, at) + r.getValue() + text.substring(at + r.getKey().length());
    }
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  /** Starts {@code /peers/<script>}, unchanged, with {@code args}. */
  static PeerProcess start(String peerName, Path dir, String script, String... args) throws IOException {
    Path file = write(dir, script, Map.of());
    List<String> command = new ArrayList<>(List.of(Peers.PYTHON.toString(), file.toString()));
    command.addAll(List.of(args));
    return PeerProcess.start(peerName, command, ENV, dir);
  }

  /** The port a server script printed as {@code LISTENING <port>}. */
  static int listeningPort(PeerProcess server, Duration timeout) throws InterruptedException {
    String line = server.awaitStdout("listening", l -> LISTENING.matcher(l).matches(), timeout);
    Matcher m = LISTENING.matcher(line);
    assertThat(m.matches()).isTrue();
    return Integer.parseInt(m.group(1));
  }
}
