package dev.wsgate.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The files under {@code deploy/}, as the tests read them: the project root, the YAML documents of manifests, the
 * ConfigMap's configuration, and the environment that makes the TLS paths of the examples point at the test
 * certificates.
 */
public final class DeployFiles {

  private DeployFiles() {
  }

  /** The repository root: the nearest directory above the working directory with a README.md. */
  public static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("README.md"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("no README.md above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  public static Path deploy() {
    return root().resolve("deploy");
  }

  /**
   * The JVM options the image ships ({@code ENV JDK_JAVA_OPTIONS} in {@code deploy/Dockerfile}), one an element: the
   * one place they are written for the tests and the benchmarks, which the other deployments are checked against.
   */
  public static List<String> imageJvmOptions() throws IOException {
    Matcher m = Pattern.compile("(?m)^ENV JDK_JAVA_OPTIONS=\"([^\"]*)\"$")
        .matcher(Files.readString(deploy().resolve("Dockerfile")));
    if (!m.find()) {
      throw new IllegalStateException("no ENV JDK_JAVA_OPTIONS=\"...\" line in deploy/Dockerfile");
    }
    return List.of(m.group(1).trim().split("\\s+"));
  }

  /**
   * The variables the examples take their TLS files from, pointing at the test certificates (self-signed, so each
   * certificate is also a CA file that trusts itself).
   */
  public static Map<String, String> testTlsEnvironment() {
    Path tls = root().resolve("gateway/src/test/resources/tls");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("WSGATE_TLS_CERT", tls.resolve("rsa-cert.pem").toString());
    env.put("WSGATE_TLS_KEY", tls.resolve("rsa-key.pem").toString());
    env.put("WSGATE_UPSTREAM_CA", tls.resolve("ec-cert.pem").toString());
    return env;
  }

  /** Every YAML document of a file, loaded with SnakeYAML's safe constructor (plain maps, lists and scalars). */
  public static List<Map<String, Object>> yamlDocuments(Path file) throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(r)) {
        if (doc == null) {
          continue;
        }
        if (!(doc instanceof Map)) {
          throw new AssertionError(file + ": a document that is not a mapping: " + doc);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) doc;
        docs.add(map);
      }
    }
    return docs;
  }

  /** The one YAML document of a file. */
  public static Yamls.Node yamlDocument(Path file) throws IOException {
    List<Map<String, Object>> docs = yamlDocuments(file);
    if (docs.size() != 1) {
      throw new AssertionError(file + ": expected one YAML document, found " + docs.size());
    }
    return Yamls.Node.of(docs.get(0), root().relativize(file).toString());
  }

  /** {@code gateway.yaml} of the Kubernetes ConfigMap ({@code deploy/k8s/configmap.yaml}). */
  public static String configMapGatewayYaml() throws IOException {
    return yamlDocument(deploy().resolve("k8s/configmap.yaml")).at("data").string("gateway.yaml");
  }
}
