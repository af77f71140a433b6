package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.JarProcess;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.WsFrame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image of {@code deploy/Dockerfile}, built and run with podman as a user would, offline: the base images are
 * made locally ({@link LocalBaseImages}: debootstrap, Debian's JRE, JDK and Maven) and passed as the build
 * arguments; Maven runs offline against this machine's local repository, mounted into the build as an overlay
 * (what the build writes there is thrown away). The container runs with the host's network, read-only (as the
 * Kubernetes manifest runs it), with a memory limit; it answers {@code /healthz}, its HEALTHCHECK passes, it proxies
 * a WebSocket echo to an upstream on the host, and {@code podman stop} (SIGTERM) drains the open session with 1001
 * "going away" before wsgate exits 0.
 *
 * <p>Needs root, podman, runc and debootstrap, and Debian's mirror the first time (later runs reuse the base
 * images); skips saying so where they are missing, or fails with {@code CI=true}. The image built here is removed
 * at the end; the base images are kept.
 */
@Timeout(value = 45, unit = TimeUnit.MINUTES)
class ContainerIT {

  private static final Duration IMAGE_BUILD = Duration.ofMinutes(20);
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STOP = DRAIN_TIMEOUT.plusSeconds(40);
  private static final String CONFIG_IN_CONTAINER = "/etc/wsgate/gateway.yaml";

  /** The image built for this run (one build for every test of the class), and its podman. */
  private static String image;
  private static Podman imagePodman;
  private static Path imageScratch;
  private static AssertionError imageFailure;

  @TempDir
  Path dir;

  @Test
  void theImageRunsAsNonRootWithTheStopSignalHealthCheckAndDefaultConfigurationItDeclares() throws Exception {
    Podman podman = Podman.require(dir);
    String tag = image(podman);

    String inspect = podman.ok(Duration.ofSeconds(60), "image", "inspect", "--format",
        "{{.Config.User}}|{{.Config.StopSignal}}|{{json .Config.Healthcheck.Test}}|{{json .Config.ExposedPorts}}"
            + "|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}", tag).strip();
    String[] f = inspect.split("\\|");
    assertThat(f).as(inspect).hasSize(6);
    assertThat(f[0]).isEqualTo("10001:10001");
    assertThat(f[1]).isEqualTo("SIGTERM");
    assertThat(f[2]).as("HEALTHCHECK (needs --format docker)").startsWith("[\"CMD\",\"java\"")
        .endsWith("\"-jar\",\"/opt/wsgate/wsgate.jar\",\"health\"]");
    assertThat(f[3]).contains("\"8080/tcp\"", "\"9090/tcp\"");
    assertThat(f[4]).isEqualTo("[\"java\",\"-jar\",\"/opt/wsgate/wsgate.jar\"]");
    assertThat(f[5]).isEqualTo("[\"--config\",\"" + CONFIG_IN_CONTAINER + "\"]");

    // The image's own configuration passes check-config, run by the image's entrypoint as its user.
    List<String> check = new ArrayList<>(List.of("run", "--rm"));
    check.addAll(Podman.RUN_FLAGS);
    check.addAll(List.of(tag, "check-config", CONFIG_IN_CONTAINER));
    Tools.Run run = podman.run(Duration.ofSeconds(120), check);
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.out()).as(run.describe()).contains("  admin: 0.0.0.0:9090", "      - ws://backend:8080",
        "# " + CONFIG_IN_CONTAINER + ": configuration OK");
    assertThat(Files.readString(DeployFiles.deploy().resolve("examples/minimal.yaml")))
        .as("the image's default configuration is deploy/examples/minimal.yaml").contains("ws://backend:8080");
  }

  @Test
  void theContainerAnswersHealthProxiesAnEchoAndDrainsWith1001OnPodmanStop() throws Exception {
    Podman podman = Podman.require(dir);
    String tag = image(podman);
    String name = "wsgate-it-" + UUID.randomUUID().toString().substring(0, 8);
    try (RawUpstream upstream = RawUpstream.echo()) {
      int port = JarProcess.freePort();
      int admin = JarProcess.freePort();
      Path config = dir.resolve("gateway.yaml");
      Files.writeString(config, String.join("\n",
          "server:",
          "  listen: 127.0.0.1:" + port,
          "  admin: ${WSGATE_ADMIN}           # the same variable tells the health check where to ask",
          "routes:",
          "  - path: /echo",
          "    upstreams: [\"" + upstream.uri() + "\"]",
          "shutdown:",
          "  drain-timeout: " + DRAIN_TIMEOUT.toSeconds() + "s",
          "  drain-window: 1s",
          ""));
      Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

      List<String> runArgs = new ArrayList<>(List.of("run", "-d", "--name", name));
      runArgs.addAll(Podman.RUN_FLAGS);
      runArgs.addAll(List.of("--read-only", "--memory", "512m",
          "-e", "WSGATE_ADMIN=127.0.0.1:" + admin,
          "-v", config + ":" + CONFIG_IN_CONTAINER + ":ro",
          tag));
      long started = System.nanoTime();
      Tools.Run run = podman.run(Duration.ofSeconds(120), runArgs);
      assertThat(run.exitCode()).as(run.describe()).isZero();
      try {
        // Healthy: /healthz answers 200 on the admin port, bounded; a container that exits fails at once.
        Awaits.until("the container answers /healthz on 127.0.0.1:" + admin, START,
            () -> healthz(admin) || !running(podman, name));
        assertThat(running(podman, name)).as("container still running\n%s", logs(podman, name)).isTrue();
        long healthyMs = (System.nanoTime() - started) / 1_000_000;
        String logs = logs(podman, name);
        assertThat(logs).contains("wsgate listening on ws://127.0.0.1:" + port + " (epoll transport)")
            .contains("route /echo -> [" + upstream.uri() + "]");

        // The image's HEALTHCHECK, as the runtime runs it.
        Tools.Run health = podman.run(Duration.ofSeconds(60), "healthcheck", "run", name);
        assertThat(health.exitCode()).as("podman healthcheck run\n%s", health.describe()).isZero();

        // Non-root inside and out: the process on the host runs as the image's user.
        long pid = Long.parseLong(podman.ok(Duration.ofSeconds(30), "inspect", "--format", "{{.State.Pid}}", name)
            .strip());
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        assertThat(status).as("/proc/%d/status", pid)
            .anyMatch(l -> l.matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001"));
        String rss = status.stream().filter(l -> l.startsWith("VmRSS:")).findFirst().orElse("VmRSS: ?");

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        try (RawWebSocket client = RawWebSocket.connect(address, "/echo")) {
          client.sendText("hello through the container");
          WsFrame echo = client.readData();
          assertThat(echo.opcode()).isEqualTo(WsFrame.TEXT);
          assertThat(echo.text()).isEqualTo("hello through the container");
          byte[] binary = new byte[100_000];
          new java.util.Random(11).nextBytes(binary);
          client.sendBinary(binary);
          WsFrame echoed = client.readData();
          assertThat(echoed.opcode()).isEqualTo(WsFrame.BINARY);
          assertThat(echoed.payload()).isEqualTo(binary);

          // podman stop sends the image's STOPSIGNAL (SIGTERM) and waits up to -t seconds before SIGKILL.
          long stopAt = System.nanoTime();
          CompletableFuture<Tools.Run> stop = CompletableFuture.supplyAsync(() -> {
            try {
              return podman.run(STOP.plusSeconds(30), "stop", "-t", Long.toString(STOP.toSeconds()), name);
            } catch (IOException | InterruptedException e) {
              throw new IllegalStateException(e);
            }
          });
          WsFrame close = client.readClose();
          long closeMs = (System.nanoTime() - stopAt) / 1_000_000;
          assertThat(close.closeCode()).as("close from the draining wsgate").isEqualTo(1001);
          assertThat(close.closeReason()).isEqualTo("going away");
          client.sendClose(1001, "");
          assertThat(client.awaitEof(Duration.ofSeconds(10))).as("wsgate closes TCP after the close handshake")
              .isTrue();

          Tools.Run stopped = stop.get(STOP.plusSeconds(60).toSeconds(), TimeUnit.SECONDS);
          long stopMs = (System.nanoTime() - stopAt) / 1_000_000;
          assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
          String state = podman.ok(Duration.ofSeconds(30), "inspect", "--format",
              "{{.State.Status}} {{.State.ExitCode}}", name).strip();
          String after = logs(podman, name);
          assertThat(state).as("state after podman stop (a SIGKILL would show 137)\n%s", after)
              .isEqualTo("exited 0");
          assertThat(after).contains("SIGTERM received: draining, then stopping")
              .contains("draining 1 sessions").contains("drained").doesNotContain("drain timeout")
              .contains("close_code=1001");
          assertThat(stopMs).as("wsgate ended by itself, well before podman's stop timeout")
              .isLessThan(DRAIN_TIMEOUT.toMillis());
          System.out.printf("[container] healthy %d ms after podman run; RSS at rest %s (limit 512 MiB); 1001 "
              + "%d ms after podman stop; exited 0 after %d ms%n", healthyMs, rss.replaceAll("\\s+", " "), closeMs,
              stopMs);
        }
      } finally {
        Tools.Run rm = podman.run(Duration.ofSeconds(60), "rm", "-f", "-t", "0", name);
        if (!rm.ok()) {
          System.out.println("[container] podman rm " + name + " failed:\n" + rm.describe());
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** Builds the image once per class: local base images first (made unless cached), then deploy/Dockerfile. */
  private static synchronized String image(Podman podman) throws Exception {
    if (image != null) {
      return image;
    }
    if (imageFailure != null) {
      throw new AssertionError("the image could not be built (see the first test that tried)", imageFailure);
    }
    Path debootstrap = Tools.require("debootstrap", "debootstrap");
    // Output files of commands that outlive one test's directory (the image is removed after all tests).
    if (imageScratch == null) {
      imageScratch = Files.createTempDirectory("wsgate-container-it-");
      imagePodman = new Podman(podman.executable(), imageScratch);
    }
    LocalBaseImages.Made bases;
    try {
      bases = LocalBaseImages.ensure(imagePodman, debootstrap);
    } catch (AssertionError e) {
      Tools.cannotRun("the local base images cannot be made here: " + e.getMessage(),
          "let debootstrap reach a Debian mirror (WSGATE_IT_DEBIAN_MIRROR chooses one)");
      throw e;
    }
    System.out.println("[container] base images " + LocalBaseImages.RUNTIME + ", " + LocalBaseImages.BUILD + ": "
        + (bases.runtimeMade() || bases.buildMade() ? "made" : "cached") + ", " + bases.took().toSeconds() + " s");
    // Can podman run a container here at all? (In a container without the privileges for it, it cannot.)
    List<String> probe = new ArrayList<>(List.of("run", "--rm"));
    probe.addAll(Podman.RUN_FLAGS);
    probe.addAll(List.of(LocalBaseImages.RUNTIME, "java", "-version"));
    Tools.Run probed = imagePodman.run(Duration.ofSeconds(120), probe);
    if (!probed.ok()) {
      Tools.cannotRun("podman cannot run a container here:\n" + probed.describe(),
          "run the test where root can start containers with podman and runc");
    }

    Path repository = mavenRepository();
    String tag = "localhost/wsgate-it/wsgate:" + UUID.randomUUID().toString().substring(0, 8);
    List<String> args = new ArrayList<>(List.of("build", "--format", "docker", "--pull=never", "--layers=false"));
    args.addAll(Podman.RUN_FLAGS);
    args.addAll(List.of(
        "-f", DeployFiles.deploy().resolve("Dockerfile").toString(),
        "--build-arg", "BUILD_IMAGE=" + LocalBaseImages.BUILD,
        "--build-arg", "RUNTIME_IMAGE=" + LocalBaseImages.RUNTIME,
        "--build-arg", "MAVEN_FLAGS=-B -q -o -Dmaven.repo.local=/m2/repository",
        "--volume", repository + ":/m2/repository:O",
        "-t", tag,
        DeployFiles.root().toString()));
    Tools.Run build = imagePodman.run(IMAGE_BUILD, args);
    if (!build.ok()) {
      imagePodman.run(Duration.ofSeconds(60), "rmi", "-f", tag);
      imageFailure = new AssertionError("podman build of deploy/Dockerfile failed:\n" + build.describe());
      throw imageFailure;
    }
    image = tag;
    String size = imagePodman.ok(Duration.ofSeconds(60), "image", "inspect", "--format", "{{.Size}}", tag).strip();
    System.out.printf("[container] built %s in %d s, %d MB%n", tag, build.took().toSeconds(),
        Long.parseLong(size) / 1_000_000);
    return image;
  }

  @AfterAll
  static void removeImage() throws Exception {
    if (image != null) {
      Tools.Run rmi = imagePodman.run(Duration.ofSeconds(120), "rmi", "-f", image);
      if (!rmi.ok()) {
        System.out.println("[container] podman rmi " + image + " failed:\n" + rmi.describe());
      }
      image = null;
    }
    if (imageScratch != null) {
      Tools.deleteTree(imageScratch);
      imageScratch = null;
    }
  }

  /**
   * The local Maven repository the build stage reads, offline: {@code WSGATE_IT_M2_REPOSITORY}, else
   * {@code ~/.m2/repository} (where the Maven running this test keeps it unless told otherwise).
   */
  private static Path mavenRepository() {
    String configured = System.getenv("WSGATE_IT_M2_REPOSITORY");
    Path repository = configured != null && !configured.isBlank() ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".m2", "repository");
    assertThat(repository.resolve("io/netty")).as("the local Maven repository with wsgate's dependencies (set "
        + "WSGATE_IT_M2_REPOSITORY if it is elsewhere)").isDirectory();
    return repository;
  }

  private static boolean healthz(int admin) {
    try {
      HttpResponse<String> r = AdminClient.get(admin, "/healthz");
      return r.statusCode() == 200;
    } catch (Exception notYet) {
      return false;
    }
  }

  private static boolean running(Podman podman, String name) {
    try {
      Tools.Run r = podman.run(Duration.ofSeconds(30), "inspect", "--format", "{{.State.Running}}", name);
      return r.ok() && r.out().strip().equals("true");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String logs(Podman podman, String name) throws IOException, InterruptedException {
    Tools.Run r = podman.run(Duration.ofSeconds(30), "logs", name);
    return r.out() + r.err();
  }
}
