package dev.wsgate.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * podman as this machine needs it: the runc runtime, the host's network (no container network is set up here), and
 * explicit limits on open files and processes. Every command is bounded.
 */
public final class Podman {

  /** The flags every {@code podman run} and {@code podman build} gets here. */
  public static final List<String> RUN_FLAGS = List.of("--runtime", "runc", "--network", "host",
      "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768");

  private final Path podman;
  private final Path scratch;

  /**
   * @param scratch a directory for the commands' output files
   */
  public Podman(Path podman, Path scratch) {
    this.podman = podman;
    this.scratch = scratch;
  }

  /** Skips (or, in CI, fails) unless root, podman, runc and debootstrap are all there, and podman answers. */
  public static Podman require(Path scratch) throws IOException, InterruptedException {
    Tools.requireRoot("the container test needs root (podman with runc, debootstrap)");
    Path podman = Tools.require("podman", "podman");
    Tools.require("runc", "runc");
    Tools.require("debootstrap", "debootstrap");
    Podman p = new Podman(podman, scratch);
    Tools.Run info = p.run(Duration.ofSeconds(60), "info", "--format", "{{.Host.OCIRuntime.Name}}");
    if (!info.ok()) {
      Tools.cannotRun("podman info fails here:\n" + info.describe(), "make podman work for root (runc)");
    }
    return p;
  }

  /** {@code podman ARGS}, at most {@code timeout}. */
  public Tools.Run run(Duration timeout, String... args) throws IOException, InterruptedException {
    return run(timeout, List.of(args));
  }

  public Tools.Run run(Duration timeout, List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(podman.toString());
    command.addAll(args);
    return Tools.run(scratch, timeout, Map.of(), command);
  }

  /** {@code podman ARGS}, which must exit 0; returns its stdout. */
  public String ok(Duration timeout, String... args) throws IOException, InterruptedException {
    Tools.Run r = run(timeout, args);
    if (!r.ok()) {
      throw new AssertionError("podman failed:\n" + r.describe());
    }
    return r.out();
  }

  public boolean imageExists(String image) throws IOException, InterruptedException {
    return run(Duration.ofSeconds(60), "image", "exists", image).ok();
  }

  public Path executable() {
    return podman;
  }

  public Path scratch() {
    return scratch;
  }
}
