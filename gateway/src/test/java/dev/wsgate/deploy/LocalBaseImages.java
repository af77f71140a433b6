package dev.wsgate.deploy;

import dev.wsgate.testing.Awaits;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The base images the Dockerfile is built against here, where no container registry is reachable, made locally
 * from Debian's mirror:
 *
 * <ul>
 *   <li>the runtime: {@code debootstrap --variant=minbase bookworm} with {@code openjdk-17-jre-headless}, without
 *       the package cache, apt lists, documentation and manual pages, imported with {@code podman import};</li>
 *   <li>the build image: that, plus {@code openjdk-17-jdk-headless} and {@code maven} ({@code podman build} with
 *       {@code apt-get}).</li>
 * </ul>
 *
 * <p>They are kept between runs: each tag carries a hash of the recipe below, so a changed recipe makes new images
 * and an unchanged one reuses them. A file lock keeps two test JVMs from making them at once.
 */
public final class LocalBaseImages {

  private static final String SUITE = "bookworm";
  private static final String MIRROR = System.getenv().getOrDefault("WSGATE_IT_DEBIAN_MIRROR",
      "http://deb.debian.org/debian");
  private static final List<String> DEBOOTSTRAP = List.of("--variant=minbase",
      "--include=openjdk-17-jre-headless", SUITE);
  /** Run in the new root file system. Man page directories stay: the JDK's postinst links into them. */
  private static final String TRIM = String.join("\n",
      "set -eu",
      "rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/*",
      "find usr/share/doc -type f ! -name copyright -delete",
      "find usr/share/man usr/share/locale usr/share/info -type f -delete",
      "rm -rf var/log/*.log var/log/apt/* tmp/* root/.cache");
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final String BUILD_CONTAINERFILE = String.join("\n",
      "ARG BASE",
      "FROM ${BASE}",
      "RUN apt-get update -qq \\",
      " && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\",
      "      openjdk-17-jdk-headless maven >/dev/null \\",
      " && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb",
      "");
  /** The mirror is not part of it: any mirror of the suite gives the same packages. */
  private static final String RECIPE = hash(String.join("\n", String.join(" ", DEBOOTSTRAP), TRIM, PATH,
      BUILD_CONTAINERFILE));

  /** The runtime base: Debian with a Java 17 runtime. */
  public static final String RUNTIME = "localhost/wsgate-it/debian-jre:" + SUITE + "-" + RECIPE;
  /** The build base: Debian with a Java 17 JDK and Maven. */
  public static final String BUILD = "localhost/wsgate-it/debian-maven:" + SUITE + "-" + RECIPE;

  private static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(20);
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
  private static final Path LOCK = Path.of("/var/tmp/wsgate-it-base-images.lock");

  private LocalBaseImages() {
  }

  /** What {@link #ensure} did, for the report. */
  public record Made(boolean runtimeMade, boolean buildMade, Duration took) {
  }

  /** Makes both base images unless they exist. */
  public static Made ensure(Podman podman, Path debootstrap) throws IOException, InterruptedException {
    long start = System.nanoTime();
    try (FileChannel channel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock[] lock = {null};
      Awaits.until("the lock on " + LOCK + " (another test JVM making the base images)",
          DEBOOTSTRAP_TIMEOUT.plus(BUILD_TIMEOUT), () -> {
            try {
              lock[0] = channel.tryLock();
              return lock[0] != null;
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          });
      try {
        boolean runtimeMade = false;
        boolean buildMade = false;
        if (!podman.imageExists(RUNTIME)) {
          makeRuntime(podman, debootstrap);
          runtimeMade = true;
        }
        if (!podman.imageExists(BUILD)) {
          makeBuild(podman);
          buildMade = true;
        }
        return new Made(runtimeMade, buildMade, Duration.ofNanos(System.nanoTime() - start));
      } finally {
        lock[0].release();
      }
    }
  }

  private static void makeRuntime(Podman podman, Path debootstrap) throws IOException, InterruptedException {
    // Not under /tmp: it may be a small tmpfs, or mounted nodev, which debootstrap cannot work in.
    Path rootfs = Files.createTempDirectory(Path.of("/var/tmp"), "wsgate-it-rootfs-");
    try {
      System.out.println("[container] debootstrap " + SUITE + " from " + MIRROR + " into " + rootfs
          + " (the base image " + RUNTIME + " does not exist yet)");
      List<String> command = new ArrayList<>(List.of(debootstrap.toString()));
      command.addAll(DEBOOTSTRAP);
      command.add(rootfs.toString());
      command.add(MIRROR);
      Tools.Run boot = Tools.run(podman.scratch(), DEBOOTSTRAP_TIMEOUT, Map.of(), command);
      if (!boot.ok()) {
        throw new AssertionError("debootstrap failed (is " + MIRROR + " reachable? WSGATE_IT_DEBIAN_MIRROR "
            + "chooses another mirror):\n" + boot.describe());
      }
      System.out.println("[container] debootstrap took " + boot.took().toSeconds() + " s");
      Tools.Run trim = Tools.run(podman.scratch(), Duration.ofMinutes(5), Map.of(),
          List.of("sh", "-c", "cd '" + rootfs + "' && " + TRIM));
      if (!trim.ok()) {
        throw new AssertionError("trimming the root file system failed:\n" + trim.describe());
      }
      Tools.Run imported = Tools.run(podman.scratch(), Duration.ofMinutes(10), Map.of(), List.of("bash", "-c",
          "set -o pipefail; tar -C '" + rootfs + "' --numeric-owner -c . | '" + podman.executable()
              + "' import --change 'ENV PATH=" + PATH + "' --message 'wsgate test base: debootstrap "
              + String.join(" ", DEBOOTSTRAP) + "' - " + RUNTIME));
      if (!imported.ok()) {
        throw new AssertionError("podman import failed:\n" + imported.describe());
      }
    } finally {
      removeRootfs(rootfs, podman.scratch());
    }
  }

  private static void makeBuild(Podman podman) throws IOException, InterruptedException {
    Path context = Files.createTempDirectory(podman.scratch(), "build-base-");
    Files.writeString(context.resolve("Containerfile"), BUILD_CONTAINERFILE, StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>(List.of("build", "--pull=never", "--layers=false"));
    args.addAll(Podman.RUN_FLAGS);
    args.addAll(List.of("--build-arg", "BASE=" + RUNTIME, "-t", BUILD, context.toString()));
    System.out.println("[container] building " + BUILD + " (openjdk-17-jdk-headless, maven)");
    Tools.Run build;
    try {
      build = podman.run(BUILD_TIMEOUT, args);
    } finally {
      Tools.deleteTree(context);
    }
    if (!build.ok()) {
      throw new AssertionError("building the Maven base image failed:\n" + build.describe());
    }
    System.out.println("[container] " + BUILD + " took " + build.took().toSeconds() + " s");
  }

  /**
   * Removes the debootstrap target, never crossing into a file system mounted inside it (debootstrap mounts /proc
   * and /sys there while it runs, and may leave them behind if it is killed): those are unmounted first.
   */
  private static void removeRootfs(Path rootfs, Path scratch) throws IOException, InterruptedException {
    List<String> mounted = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] fields = line.split(" ");
      if (fields.length > 1 && fields[1].startsWith(rootfs + "/")) {
        mounted.add(fields[1]);
      }
    }
    for (int i = mounted.size() - 1; i >= 0; i--) {
      Tools.run(scratch, Duration.ofSeconds(30), Map.of(), List.of("umount", "-l", mounted.get(i)));
    }
    Tools.Run rm = Tools.run(scratch, Duration.ofMinutes(5), Map.of(),
        List.of("rm", "-rf", "--one-file-system", rootfs.toString()));
    if (!rm.ok()) {
      System.out.println("[container] could not remove " + rootfs + ":\n" + rm.describe());
    }
  }

  private static String hash(String recipe) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(recipe.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
