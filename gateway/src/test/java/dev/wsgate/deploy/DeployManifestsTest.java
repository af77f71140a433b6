package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigException;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.deploy.Yamls.Node;
import dev.wsgate.server.Gateway;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manifests and front configurations under {@code deploy/} hold together: the Kubernetes manifests parse and
 * hold the expected kinds, probe the admin listener that the ConfigMap's configuration opens, give the drain its
 * time, run non-root on a read-only root file system; compose mounts a real configuration read-only in front of
 * its backend; the Dockerfile has what the issue asks of it; nginx and HAProxy accept their configurations, and
 * their idle timeouts equal {@code intermediaries.idle-timeout} of the gateway configurations they front.
 */
class DeployManifestsTest {

  private static final Path K8S = DeployFiles.deploy().resolve("k8s");
  private static final Pattern DOCKERFILE_USER = Pattern.compile("(?m)^USER\\s+(\\S+)\\s*$");

  @TempDir
  Path dir;

  // ------------------------------------------------------------------------------------------------- Kubernetes

  @Test
  void kubernetesManifestsParseAndHoldTheExpectedKinds() throws IOException {
    Map<String, String> apiVersionByKind = new LinkedHashMap<>();
    List<String> kinds = new ArrayList<>();
    for (Path f : k8sFiles()) {
      List<Map<String, Object>> docs = DeployFiles.yamlDocuments(f);
      assertThat(docs).as("YAML documents in %s", f).isNotEmpty();
      for (Map<String, Object> d : docs) {
        Node doc = Node.of(d, f.getFileName().toString());
        String kind = doc.string("kind");
        kinds.add(kind);
        apiVersionByKind.put(kind, doc.string("apiVersion"));
        if (!kind.equals("Kustomization")) {
          assertThat(doc.at("metadata").string("name")).as("%s name", kind).isNotBlank();
        }
      }
    }
    assertThat(kinds).containsExactlyInAnyOrder("ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "Kustomization");
    assertThat(apiVersionByKind).containsEntry("ConfigMap", "v1").containsEntry("Deployment", "apps/v1")
        .containsEntry("Service", "v1").containsEntry("PodDisruptionBudget", "policy/v1")
        .containsEntry("HorizontalPodAutoscaler", "autoscaling/v2");
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    List<String> listed = kind("Kustomization").list("resources").stream().map(Object::toString).toList();
    List<String> files = k8sFiles().stream().map(f -> f.getFileName().toString())
        .filter(n -> !n.equals("kustomization.yaml")).toList();
    assertThat(listed).containsExactlyInAnyOrderElementsOf(files);
  }

  @Test
  void theDeploymentProbesTheAdminListenerOfTheConfigMapConfiguration() throws Exception {
    GatewayConfig config = configMapConfig();
    assertThat(config.server().admin().isWildcard())
        .as("server.admin %s must listen on every interface, or probes to the pod IP cannot reach it",
            config.server().admin()).isTrue();
    Node container = wsgateContainer();
    Map<String, Long> ports = new LinkedHashMap<>();
    for (Node p : container.nodes("ports")) {
      ports.put(p.string("name"), p.number("containerPort"));
    }
    assertThat(ports).containsEntry("admin", (long) config.server().admin().port())
        .containsEntry("ws", (long) config.server().listen().port());

    assertProbe(container, "readinessProbe", "/readyz", ports);
    assertProbe(container, "livenessProbe", "/healthz", ports);
    if (container.has("startupProbe")) {
      assertProbe(container, "startupProbe", "/healthz", ports);
    }
  }

  @Test
  void theDeploymentRunsTheConfigMapConfigurationFromADirectoryMountSoThatUpdatesReachThePod() throws Exception {
    Node container = wsgateContainer();
    List<String> args = container.list("args").stream().map(Object::toString).toList();
    int i = args.indexOf("--config");
    assertThat(i).as("--config in %s", args).isNotNegative().isLessThan(args.size() - 1);
    Path configFile = Path.of(args.get(i + 1));

    Node mount = container.only("volumeMounts", m -> m.string("mountPath").equals(configFile.getParent().toString()),
        "mount of " + configFile.getParent());
    assertThat(mount.has("subPath")).as("a subPath mount never sees ConfigMap updates; mount the directory")
        .isFalse();
    assertThat(mount.bool("readOnly")).isTrue();
    Node volume = podSpec().only("volumes", v -> v.string("name").equals(mount.string("name")), "config volume");
    Node configMap = kind("ConfigMap");
    assertThat(volume.at("configMap").string("name")).isEqualTo(configMap.at("metadata").string("name"));
    assertThat(configMap.at("data").has(configFile.getFileName().toString()))
        .as("the ConfigMap holds %s", configFile.getFileName()).isTrue();
  }

  @Test
  void theGracePeriodCoversPreStopAndTheDrainTimeout() throws Exception {
    Duration drain = configMapConfig().shutdown().drainTimeout();
    long grace = podSpec().number("terminationGracePeriodSeconds");
    Node preStop = wsgateContainer().at("lifecycle", "preStop");
    long preStopSeconds;
    if (preStop.has("sleep")) {
      preStopSeconds = preStop.at("sleep").number("seconds");
    } else {
      List<Object> command = preStop.at("exec").list("command");
      assertThat(command).as("preStop command").hasSize(2).first().isEqualTo("sleep");
      preStopSeconds = Long.parseLong(command.get(1).toString());
    }
    assertThat(preStopSeconds).as("preStop wait for load balancers to drop the pod").isPositive();
    assertThat(grace).as("terminationGracePeriodSeconds > preStop %ds + shutdown.drain-timeout %ds", preStopSeconds,
        drain.toSeconds()).isGreaterThan(preStopSeconds + (long) Math.ceil(drain.toMillis() / 1000.0));
  }

  @Test
  void theDeploymentRunsNonRootOnAReadOnlyRootFileSystemWithResources() throws Exception {
    Node pod = podSpec().at("securityContext");
    assertThat(pod.bool("runAsNonRoot")).isTrue();
    long uid = pod.number("runAsUser");
    assertThat(uid).isPositive();
    assertThat(uid).as("runAsUser is the Dockerfile's USER").isEqualTo(dockerfileUid());

    Node container = wsgateContainer();
    Node security = container.at("securityContext");
    assertThat(security.bool("readOnlyRootFilesystem")).isTrue();
    assertThat(security.bool("allowPrivilegeEscalation")).isFalse();
    assertThat(security.at("capabilities").list("drop")).contains("ALL");

    // Netty unpacks its native transport into java.io.tmpdir: /tmp must stay writable.
    Node tmp = container.only("volumeMounts", m -> m.string("mountPath").equals("/tmp"), "mount of /tmp");
    Node tmpVolume = podSpec().only("volumes", v -> v.string("name").equals(tmp.string("name")), "/tmp volume");
    assertThat(tmpVolume.has("emptyDir")).as("/tmp from an emptyDir").isTrue();
    assertThat(tmp.has("readOnly") && tmp.bool("readOnly")).isFalse();

    Node resources = container.at("resources");
    assertThat(resources.at("requests").map()).containsKeys("cpu", "memory");
    assertThat(resources.at("limits").map()).containsKey("memory");
  }

  @Test
  void theDeploymentRunsTheImagesJvmOptions() throws Exception {
    Node option = wsgateContainer().only("env", e -> e.string("name").equals("JDK_JAVA_OPTIONS"), "JDK_JAVA_OPTIONS");
    assertThat(List.of(option.string("value").trim().split("\\s+"))).as("deploy/Dockerfile's, as they are")
        .isEqualTo(DeployFiles.imageJvmOptions());
  }

  @Test
  void theServiceSelectsTheDeploymentWithoutSessionAffinity() throws Exception {
    Node service = kind("Service");
    Node spec = service.at("spec");
    Map<String, Object> podLabels = kind("Deployment").at("spec", "template", "metadata", "labels").map();
    assertThat(podLabels).containsAllEntriesOf(spec.at("selector").map());
    assertThat(podLabels).containsAllEntriesOf(kind("Deployment").at("spec", "selector", "matchLabels").map());
    // Each session is one TCP connection, pinned to its pod by the connection itself: nothing to stick to.
    assertThat(spec.has("sessionAffinity") ? spec.string("sessionAffinity") : "None").isEqualTo("None");

    List<String> containerPorts = wsgateContainer().nodes("ports").stream().map(p -> p.string("name")).toList();
    List<String> targets = spec.nodes("ports").stream().map(p -> p.text("targetPort")).toList();
    assertThat(containerPorts).containsAll(targets);
    assertThat(targets).as("clients reach the ws port, never the admin port").containsExactly("ws");
  }

  @Test
  void thePodDisruptionBudgetAndTheAutoscalerTargetTheDeployment() throws Exception {
    Node deployment = kind("Deployment");
    Map<String, Object> selector = deployment.at("spec", "selector", "matchLabels").map();

    Node pdb = kind("PodDisruptionBudget").at("spec");
    assertThat(pdb.at("selector", "matchLabels").map()).isEqualTo(selector);
    Node hpa = kind("HorizontalPodAutoscaler").at("spec");
    long minReplicas = hpa.number("minReplicas");
    if (pdb.has("maxUnavailable")) {
      assertThat(pdb.number("maxUnavailable")).isPositive().isLessThan(minReplicas);
    } else {
      assertThat(pdb.number("minAvailable")).isPositive().isLessThan(minReplicas);
    }

    Node target = hpa.at("scaleTargetRef");
    assertThat(target.string("kind")).isEqualTo("Deployment");
    assertThat(target.string("apiVersion")).isEqualTo("apps/v1");
    assertThat(target.string("name")).isEqualTo(deployment.at("metadata").string("name"));
    assertThat(minReplicas).as("at least two, so that a stopping pod leaves one").isGreaterThanOrEqualTo(2);
    assertThat(hpa.number("maxReplicas")).isGreaterThanOrEqualTo(minReplicas);
    assertThat(deployment.at("spec").number("replicas")).isBetween(minReplicas, hpa.number("maxReplicas"));
    for (Node metric : hpa.nodes("metrics")) {
      if (metric.string("type").equals("Resource")) {
        String resource = metric.at("resource").string("name");
        assertThat(wsgateContainer().at("resources", "requests").map())
            .as("a utilization target needs a request of %s", resource).containsKey(resource);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------- compose

  @Test
  void composeRunsWsgateInFrontOfTheBackendWithItsConfigurationReadOnly() throws Exception {
    Path composeFile = DeployFiles.deploy().resolve("compose.yaml");
    Node services = DeployFiles.yamlDocument(composeFile).at("services");
    Node wsgate = services.at("wsgate");

    Node build = wsgate.at("build");
    Path context = composeFile.getParent().resolve(build.string("context")).normalize();
    assertThat(context.resolve(build.string("dockerfile"))).isEqualTo(DeployFiles.deploy().resolve("Dockerfile"));

    List<String> configMounts = wsgate.list("volumes").stream().map(Object::toString)
        .filter(v -> v.contains(":/etc/wsgate/gateway.yaml")).toList();
    assertThat(configMounts).hasSize(1);
    String[] parts = configMounts.get(0).split(":");
    assertThat(parts).as("SOURCE:/etc/wsgate/gateway.yaml:ro").hasSize(3);
    assertThat(parts[2]).isEqualTo("ro");
    Path mounted = composeFile.getParent().resolve(parts[0]).normalize();
    assertThat(mounted).isRegularFile();
    GatewayConfig config = load(mounted);

    assertThat(config.server().admin().isWildcard()).as("admin reachable for the image's health check").isTrue();
    assertThat(wsgate.list("ports")).map(Object::toString)
        .anyMatch(p -> p.endsWith(":" + config.server().listen().port()));

    // Every upstream is a service of the file, on the port that service listens on.
    for (var route : config.routes()) {
      for (URI upstream : route.upstreams()) {
        assertThat(services.map()).as("upstream %s is a compose service", upstream).containsKey(upstream.getHost());
        Node backend = services.at(upstream.getHost());
        assertThat(backend.at("environment").text("PORT")).isEqualTo(Integer.toString(upstream.getPort()));
      }
    }
    assertThat(services.map()).containsKey("backend");

    assertThat(composeDuration(wsgate.text("stop_grace_period")))
        .as("stop_grace_period above shutdown.drain-timeout").isGreaterThan(config.shutdown().drainTimeout());
    assertThat(wsgate.bool("read_only")).isTrue();
    // Netty loads its native library from /tmp; Docker mounts a tmpfs noexec unless the options say exec.
    assertThat(wsgate.list("tmpfs")).map(Object::toString).anyMatch(t -> t.startsWith("/tmp:")
        && List.of(t.substring("/tmp:".length()).split(",")).contains("exec"));
  }

  // ------------------------------------------------------------------------------------------------- Dockerfile

  @Test
  void theDockerfileBuildsInTwoStagesFromBaseImageArgumentsAndRunsNonRoot() throws Exception {
    String dockerfile = Files.readString(DeployFiles.deploy().resolve("Dockerfile"));
    List<String> instructions = dockerfile.lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    List<String> froms = instructions.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).containsExactly("FROM ${BUILD_IMAGE} AS build", "FROM ${RUNTIME_IMAGE}");
    int firstFrom = instructions.indexOf(froms.get(0));
    assertThat(instructions.subList(0, firstFrom)).anyMatch(l -> l.startsWith("ARG BUILD_IMAGE="))
        .anyMatch(l -> l.startsWith("ARG RUNTIME_IMAGE="));
    assertThat(instructions).contains("STOPSIGNAL SIGTERM", "CMD [\"--config\", \"/etc/wsgate/gateway.yaml\"]");
    assertThat(dockerfileUid()).isPositive();
    assertThat(instructions).anyMatch(l -> l.startsWith("HEALTHCHECK "));
    assertThat(dockerfile).contains("\"-jar\", \"/opt/wsgate/wsgate.jar\", \"health\"]");

    // The image's default configuration: its ports are exposed, and its admin listener is reachable.
    Matcher copy = Pattern.compile("(?m)^COPY (deploy/\\S+\\.yaml) /etc/wsgate/gateway.yaml$").matcher(dockerfile);
    assertThat(copy.find()).as("COPY of the default configuration").isTrue();
    GatewayConfig defaults = load(DeployFiles.root().resolve(copy.group(1)));
    assertThat(defaults.server().admin().isWildcard()).isTrue();
    String expose = instructions.stream().filter(l -> l.startsWith("EXPOSE ")).findFirst().orElseThrow();
    assertThat(expose.substring("EXPOSE ".length()).split("\\s+"))
        .contains(Integer.toString(defaults.server().listen().port()),
            Integer.toString(defaults.server().admin().port()));
  }

  // ------------------------------------------------------------------------------------------------- fronts

  @Test
  void nginxAcceptsItsConfiguration() throws Exception {
    Path nginx = Tools.require("nginx", "nginx");
    Tools.requireRoot("nginx -t opens /run/nginx.pid and /var/log/nginx/access.log");
    Tools.Run run = Tools.run(dir, Duration.ofSeconds(60), Map.of(), List.of(nginx.toString(), "-t", "-q",
        "-e", "stderr", "-c", DeployFiles.deploy().resolve("nginx/nginx.conf").toString()));
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.err()).as(run.describe()).doesNotContain("[emerg]").doesNotContain("[warn]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"haproxy/haproxy.cfg", "haproxy/haproxy-proxy-protocol.cfg"})
  void haproxyAcceptsItsConfiguration(String file) throws Exception {
    Path haproxy = Tools.require("haproxy", "haproxy");
    Tools.Run run = Tools.run(dir, Duration.ofSeconds(60), Map.of(), List.of(haproxy.toString(), "-c", "-f",
        DeployFiles.deploy().resolve(file).toString()));
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.out() + run.err()).as(run.describe()).contains("Configuration file is valid");
    // The example's servers are host names that resolve where it is deployed; HAProxy starts without them.
    assertThat((run.out() + run.err()).lines().filter(l -> l.contains("[WARNING]") || l.contains("[ALERT]")))
        .as(run.describe()).allMatch(l -> l.contains("[WARNING]") && l.contains("could not resolve address"));
  }

  @Test
  void frontIdleTimeoutsEqualTheGatewayIdleTimeout() throws Exception {
    String nginx = withoutComments(Files.readString(DeployFiles.deploy().resolve("nginx/nginx.conf")));
    String haproxy = withoutComments(Files.readString(DeployFiles.deploy().resolve("haproxy/haproxy.cfg")));
    String haproxyL4 = withoutComments(Files.readString(DeployFiles.deploy()
        .resolve("haproxy/haproxy-proxy-protocol.cfg")));
    Map<String, Duration> fronts = new LinkedHashMap<>();
    fronts.putAll(directives(nginx, "nginx ", "(proxy_read_timeout|proxy_send_timeout)\\s+(\\S+)\\s*;",
        DeployManifestsTest::nginxTime));
    fronts.putAll(directives(haproxy, "haproxy timeout ", "timeout\\s+(tunnel|client|server)\\s+(\\S+)",
        DeployManifestsTest::haproxyTime));
    fronts.putAll(directives(haproxyL4, "haproxy (L4) timeout ", "timeout\\s+(tunnel|client|server)\\s+(\\S+)",
        DeployManifestsTest::haproxyTime));
    assertThat(fronts.keySet()).containsExactlyInAnyOrder("nginx proxy_read_timeout", "nginx proxy_send_timeout",
        "haproxy timeout tunnel", "haproxy timeout client", "haproxy timeout server", "haproxy (L4) timeout tunnel",
        "haproxy (L4) timeout client", "haproxy (L4) timeout server");

    // deploy/gateway.yaml is what the front configurations are written for; the production-like example says it
    // sits behind them too.
    for (Path fronted : List.of(DeployFiles.deploy().resolve("gateway.yaml"),
        DeployFiles.deploy().resolve("examples/production.yaml"),
        DeployFiles.deploy().resolve("examples/behind-l4-proxy-protocol.yaml"),
        DeployFiles.deploy().resolve("examples/behind-nginx.yaml"))) {
      Duration idle = load(fronted).intermediaries().idleTimeout();
      assertThat(idle).as("%s intermediaries.idle-timeout", fronted).isPositive();
      assertThat(fronts).as("front idle timeouts vs %s intermediaries.idle-timeout %s", fronted, idle)
          .allSatisfy((name, value) -> assertThat(value).as(name).isEqualTo(idle));
    }
  }

  // ------------------------------------------------------------------------------------------------- helpers

  private static List<Path> k8sFiles() throws IOException {
    try (Stream<Path> files = Files.list(K8S)) {
      List<Path> all = files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .sorted().toList();
      assertThat(all).as("manifests in %s", K8S).isNotEmpty();
      return all;
    }
  }

  /** The one document of that kind under deploy/k8s. */
  private static Node kind(String kind) throws IOException {
    List<Node> found = new ArrayList<>();
    for (Path f : k8sFiles()) {
      for (Map<String, Object> d : DeployFiles.yamlDocuments(f)) {
        if (kind.equals(d.get("kind"))) {
          found.add(Node.of(d, f.getFileName().toString()));
        }
      }
    }
    assertThat(found).as("documents of kind %s", kind).hasSize(1);
    return found.get(0);
  }

  private static Node podSpec() throws IOException {
    return kind("Deployment").at("spec", "template", "spec");
  }

  private static Node wsgateContainer() throws IOException {
    return podSpec().only("containers", c -> c.string("name").equals("wsgate"), "container named wsgate");
  }

  private static GatewayConfig configMapConfig() throws IOException, ConfigException {
    return ConfigLoader.withEnvironment(Map.of()).withTls(Gateway.tlsFiles())
        .parse(DeployFiles.configMapGatewayYaml(), "deploy/k8s/configmap.yaml gateway.yaml", K8S);
  }

  private static GatewayConfig load(Path file) throws ConfigException {
    return ConfigLoader.withEnvironment(DeployFiles.testTlsEnvironment()).withTls(Gateway.tlsFiles()).load(file);
  }

  private static void assertProbe(Node container, String probe, String path, Map<String, Long> ports) {
    Node get = container.at(probe, "httpGet");
    assertThat(get.string("path")).as(probe).isEqualTo(path);
    String port = get.text("port");
    long number = ports.containsKey(port) ? ports.get(port) : Long.parseLong(port);
    assertThat(number).as("%s port %s", probe, port).isEqualTo(ports.get("admin"));
  }

  private static long dockerfileUid() throws IOException {
    Matcher m = DOCKERFILE_USER.matcher(Files.readString(DeployFiles.deploy().resolve("Dockerfile")));
    assertThat(m.find()).as("USER in the Dockerfile").isTrue();
    String user = m.group(1).split(":")[0];
    assertThat(user).as("a numeric USER, so that runAsNonRoot can be checked").matches("\\d+");
    return Long.parseLong(user);
  }

  private static String withoutComments(String config) {
    return config.lines().map(l -> l.replaceAll("#.*$", "")).reduce("", (a, b) -> a + b + "\n");
  }

  /** Each directive (group 1) that {@code regex} finds, once, with its value (group 2) parsed. */
  private static Map<String, Duration> directives(String config, String prefix, String regex,
      Function<String, Duration> parse) {
    Map<String, Duration> found = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?m)^\\s*" + regex).matcher(config);
    while (m.find()) {
      Duration previous = found.put(prefix + m.group(1), parse.apply(m.group(2)));
      assertThat(previous).as("%s%s set twice", prefix, m.group(1)).isNull();
    }
    return found;
  }

  /** nginx times: {@code 60s}, {@code 1m}, {@code 500ms}, a bare number is seconds. */
  static Duration nginxTime(String value) {
    return unitTime(value, "s");
  }

  /** HAProxy times: {@code 60s}, {@code 1m}, a bare number is milliseconds. */
  static Duration haproxyTime(String value) {
    return unitTime(value, "ms");
  }

  private static Duration unitTime(String value, String bareUnit) {
    Matcher m = Pattern.compile("(\\d+)(us|ms|s|m|h|d)?").matcher(value);
    assertThat(m.matches()).as("a time: %s", value).isTrue();
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? bareUnit : m.group(2)) {
      case "us" -> Duration.ofNanos(n * 1000);
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> throw new AssertionError(value);
    };
  }

  /** Compose durations: {@code 40s}, {@code 1m30s}, {@code 500ms}. */
  static Duration composeDuration(String value) {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(value);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
      end = m.end();
    }
    assertThat(end).as("a compose duration: %s", value).isEqualTo(value.length()).isPositive();
    return total;
  }
}
