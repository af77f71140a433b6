package dev.wsgate.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Loads wsgate's YAML configuration: reads it safely, substitutes {@code ${VAR}} and {@code ${VAR:-default}},
 * applies defaults and checks everything, reporting every error at once.
 *
 * <pre>{@code
 * GatewayConfig config = ConfigLoader.withSystemEnvironment().load(Path.of("gateway.yaml"));
 * }</pre>
 */
public final class ConfigLoader {

  private final Function<String, String> environment;
  private final TlsFiles tlsFiles;

  private ConfigLoader(Function<String, String> environment, TlsFiles tlsFiles) {
    this.environment = environment;
    this.tlsFiles = tlsFiles;
  }

  /** A loader that substitutes variables from this process's environment. */
  public static ConfigLoader withSystemEnvironment() {
    return new ConfigLoader(System::getenv, TlsFiles.READABLE);
  }

  /** A loader that substitutes variables from the given map only (for tests and embedding). */
  public static ConfigLoader withEnvironment(Map<String, String> environment) {
    Map<String, String> copy = Map.copyOf(environment);
    return new ConfigLoader(copy::get, TlsFiles.READABLE);
  }

  /**
   * This loader, checking TLS files with {@code tlsFiles}: the gateway passes the check of the TLS stack that
   * serves, so that a file is judged by what will load it. Without it, files are only checked to be readable.
   */
  public ConfigLoader withTls(TlsFiles tlsFiles) {
    return new ConfigLoader(environment, Objects.requireNonNull(tlsFiles, "tlsFiles"));
  }

  /**
   * Loads a file. Relative paths inside it (TLS files) are resolved against the file's directory.
   *
   * @throws ConfigException with every error found, in file order
   */
  public GatewayConfig load(Path file) throws ConfigException {
    Objects.requireNonNull(file, "file");
    String source = file.toString();
    String text = YamlDocument.read(file, source);
    Path dir = file.toAbsolutePath().getParent();
    return parse(text, source, dir != null ? dir : Path.of("").toAbsolutePath());
  }

  /**
   * Loads YAML text.
   *
   * @param source  the name errors give for the text, such as a file name
   * @param baseDir the directory that relative paths inside the text are resolved against
   * @throws ConfigException with every error found, in file order
   */
  public GatewayConfig parse(String yaml, String source, Path baseDir) throws ConfigException {
    Node root = YamlDocument.compose(yaml, source);
    Problems problems = new Problems(source);
    GatewayConfig config = new ConfigBinder(new Values(problems, environment, baseDir), tlsFiles).bind(root);
    problems.throwIfAny();
    return Objects.requireNonNull(config, "a configuration without errors binds");
  }
}
