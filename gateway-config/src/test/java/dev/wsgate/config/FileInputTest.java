package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Files that are not configurations at all: each gets one clear error, quickly, never a hang or a stack trace. */
class FileInputTest {

  private static final Duration QUICKLY = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private List<String> errorsOf(Path file) {
    return assertTimeoutPreemptively(QUICKLY, () -> {
      try {
        ConfigLoader.withEnvironment(Map.of()).load(file);
      } catch (ConfigException e) {
        return e.errors().stream().map(ConfigError::toString).toList();
      }
      throw new AssertionError("loaded " + file);
    });
  }

  @Test
  void missingFile() {
    Path f = dir.resolve("nope.yaml");
    assertThat(errorsOf(f)).containsExactly(f + ":1:1: no such file");
  }

  @Test
  void directory() {
    assertThat(errorsOf(dir)).containsExactly(dir + ":1:1: is a directory (expected: a YAML file)");
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void deviceThatNeverEnds() {
    Path zero = Path.of("/dev/zero");
    assertThat(errorsOf(zero)).containsExactly("/dev/zero:1:1: is not a regular file (expected: a YAML file)");
  }

  @Test
  void emptyFile() throws IOException {
    Path f = Files.writeString(dir.resolve("empty.yaml"), "");
    assertThat(errorsOf(f)).containsExactly(f + ":1:1: file is empty (expected: a YAML mapping with at least "
        + "routes:)");
  }

  @Test
  void binaryGarbage() throws IOException {
    byte[] garbage = new byte[4096];
    new java.util.Random(42).nextBytes(garbage);
    garbage[0] = 'a';
    garbage[1] = (byte) 0xff;
    Path f = Files.write(dir.resolve("garbage.bin"), garbage);
    assertThat(errorsOf(f)).containsExactly(f + ":1:2: byte 0xff at offset 1 is not UTF-8 (expected: a UTF-8 text "
        + "file; is this a binary file?)");
  }

  @Test
  void controlCharacters() throws IOException {
    Path f = Files.write(dir.resolve("nul.yaml"), "routes:\n  - path: /\u0000\n".getBytes(StandardCharsets.UTF_8));
    assertThat(errorsOf(f)).containsExactly(f + ":2:12: character U+0000 is not allowed in YAML (expected: "
        + "printable text; is this a binary file?)");
  }

  @Test
  void fiftyMegabytes() throws IOException {
    Path f = dir.resolve("big.yaml");
    byte[] line = "  - path: /p\n    upstreams: [ws://x:1]\n".getBytes(StandardCharsets.UTF_8);
    try (OutputStream out = Files.newOutputStream(f)) {
      out.write("routes:\n".getBytes(StandardCharsets.UTF_8));
      for (long written = 0; written < 50L << 20; written += line.length) {
        out.write(line);
      }
    }
    assertThat(errorsOf(f)).containsExactly(f + ":1:1: file is 50.0 MiB (expected: at most 1 MiB; is this the "
        + "configuration file?)");
  }

  @Test
  void billionLaughs() throws IOException {
    StringBuilder yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    String previous = "a";
    for (char c = 'b'; c <= 'j'; c++) {
      yaml.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        yaml.append(i == 0 ? "" : ",").append('*').append(previous);
      }
      yaml.append("]\n");
      previous = String.valueOf(c);
    }
    yaml.append("routes: *j\n");
    Path f = Files.writeString(dir.resolve("bomb.yaml"), yaml);
    assertThat(errorsOf(f)).containsExactly(f + ":7:23: more than 50 aliases (expected: at most 50; a YAML bomb is "
        + "refused)");
  }

  @Test
  void deepNesting() throws IOException {
    Path f = Files.writeString(dir.resolve("deep.yaml"), "routes: " + "[".repeat(100) + "]".repeat(100) + "\n");
    assertThat(errorsOf(f)).containsExactly(f + ":1:58: more than 50 levels of nesting (expected: at most 50)");
  }

  @Test
  void errorsNeverCarryStackTraces() throws IOException {
    Path f = Files.writeString(dir.resolve("syntax.yaml"), "routes: [\n");
    assertThatThrownBy(() -> ConfigLoader.withEnvironment(Map.of()).load(f))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("1 error in configuration\n" + f + ":2:1: YAML syntax error:")
        .hasNoCause();
  }
}
