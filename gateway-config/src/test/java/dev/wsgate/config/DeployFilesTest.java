package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The configuration files in {@code deploy/} agree with the schema: each loads (no unknown key, no bad value), its
 * effective configuration loads back to the same configuration, and {@code deploy/gateway.yaml} shows every key
 * (set, or in a comment {@code # key:}) with its default wherever one place of the file holds it.
 */
class DeployFilesTest {

  static final Path DEPLOY = Path.of("..", "deploy");

  /** Content is the gateway's to judge (TlsFilesTest); here the files' places only matter. */
  private static final TlsFiles ANY_FILE = new TlsFiles() {
    @Override
    public List<Refusal> checkServer(Path cert, Path key) {
      return List.of();
    }

    @Override
    public List<Refusal> checkTrust(Path caFile) {
      return List.of();
    }
  };

  /** Every gateway configuration in deploy/: the YAML files, and the one a Kubernetes ConfigMap carries. */
  static Stream<String> configurations() throws IOException {
    List<String> out = new ArrayList<>();
    out.add("gateway.yaml");
    try (Stream<Path> examples = Files.list(DEPLOY.resolve("examples"))) {
      examples.filter(p -> p.toString().endsWith(".yaml")).sorted()
          .forEach(p -> out.add("examples/" + p.getFileName()));
    }
    out.add("k8s/configmap.yaml");
    return out.stream();
  }

  static String text(String name) throws IOException {
    String text = Files.readString(DEPLOY.resolve(name), StandardCharsets.UTF_8);
    if (name.startsWith("k8s/")) {
      Map<String, Map<String, String>> configMap = new Yaml().load(text);
      return configMap.get("data").get("gateway.yaml");
    }
    return text;
  }

  static GatewayConfig load(String name, String yaml) throws ConfigException {
    return ConfigLoader.withEnvironment(Map.of()).withTls(ANY_FILE).parse(yaml, name, DEPLOY.toAbsolutePath());
  }

  @ParameterizedTest
  @MethodSource("configurations")
  void loadsAndItsEffectiveConfigurationLoadsBackToTheSame(String name) throws Exception {
    GatewayConfig config = load(name, text(name));
    String summary = ConfigSummary.render(config);
    assertThat(load("summary of " + name, summary)).isEqualTo(config);
  }

  @Test
  void theFullExampleShowsEveryKey() throws IOException {
    String yaml = text("gateway.yaml");
    Node root = new Yaml().compose(new java.io.StringReader(yaml));
    Set<String> commented = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^\\s*#\\s*([a-z-]+):").matcher(yaml);
    while (m.find()) {
      commented.add(m.group(1));
    }
    List<String> missing = new ArrayList<>();
    missingKeys(Schema.ROOT, List.of(root), "", commented, new java.util.HashSet<>(), missing);
    assertThat(missing).as("keys deploy/gateway.yaml does not show, set or as '# key:'").isEmpty();
  }

  /**
   * The keys of {@code section} that none of {@code nodes} (each a place of the file holding it) shows. A key held
   * in several places (a heartbeat's: global, per leg, per route) is shown in the first of them.
   */
  private static void missingKeys(Section<?> section, List<Node> nodes, String place, Set<String> commented,
      Set<Object> seen, List<String> missing) {
    if (!seen.add(section)) {
      return;
    }
    for (Object e : section.entries()) {
      if (e instanceof Key<?, ?> k) {
        if (!seen.add(k)) {
          continue; // the same key in another section (a heartbeat leg's, as the heartbeat's): shown there
        }
        boolean shown = nodes.stream().anyMatch(n -> child(child(n, k.head()), k.head().equals(k.name()) ? null
            : k.tail()) != null) || commented.contains(k.tail());
        if (!shown) {
          missing.add(place + k.name());
        }
      } else {
        Section.Nested n = (Section.Nested) e;
        // Nested mappings of one section side by side (a heartbeat's client and upstream) show it together.
        List<Section.Nested> siblings = section.entries().stream()
            .filter(o -> o instanceof Section.Nested s && s.section() == n.section())
            .map(o -> (Section.Nested) o).toList();
        List<Node> children = new ArrayList<>();
        for (Node node : nodes) {
          for (Section.Nested sibling : siblings) {
            Node c = child(node, sibling.name());
            if (c instanceof SequenceNode s) {
              children.addAll(s.getValue());
            } else if (c != null) {
              children.add(c);
            }
          }
        }
        String names = String.join("|", siblings.stream().map(Section.Nested::name).toList());
        if (seen.contains(n.section())) {
          continue;
        }
        if (children.isEmpty() && siblings.stream().noneMatch(x -> commented.contains(x.name()))) {
          missing.add(place + names);
        }
        missingKeys(n.section(), children, place + names + (n.list() ? "[i]." : "."), commented, seen, missing);
      }
    }
  }

  @Test
  void theFullExampleWritesTheDefaultOfEveryKeyThatHasOnePlace() throws Exception {
    GatewayConfig config = load("gateway.yaml", text("gateway.yaml"));
    GatewayConfig defaults = load("defaults", "routes: [{path: /, upstreams: ['ws://a:1']}]");
    List<String> different = new ArrayList<>();
    differences("server.", Schema.SERVER, config.server(), defaults.server(), different);
    differences("upstream.", Schema.UPSTREAM, config.upstream(), defaults.upstream(), different);
    differences("intermediaries.", Schema.INTERMEDIARIES, config.intermediaries(), defaults.intermediaries(),
        different);
    differences("heartbeat.", Schema.HEARTBEAT_LEG, config.heartbeat().client(), defaults.heartbeat().client(),
        different);
    differences("shutdown.", Schema.SHUTDOWN, config.shutdown(), defaults.shutdown(), different);
    differences("logging.", Schema.LOGGING, config.logging(), defaults.logging(), different);
    assertThat(different).as("keys deploy/gateway.yaml sets to other than their default").isEmpty();
  }

  private static <R> void differences(String place, Section<R> section, R actual, R expected, List<String> out) {
    for (Key<R, ?> k : section.keys()) {
      if (!java.util.Objects.equals(k.get(actual), k.get(expected))) {
        out.add(place + k.name() + ": " + k.get(actual) + " (default " + k.get(expected) + ")");
      }
    }
  }

  private static Node child(Node node, String key) {
    if (key == null) {
      return node;
    }
    if (!(node instanceof MappingNode m)) {
      return null;
    }
    for (NodeTuple t : m.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
        return t.getValueNode();
      }
    }
    return null;
  }
}
