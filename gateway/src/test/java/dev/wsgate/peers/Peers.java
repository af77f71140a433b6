package dev.wsgate.peers;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real third-party peers the end-to-end tests run, and what to do when one is missing: outside CI the test is
 * skipped, saying which Debian package to install; with {@code CI=true} (where {@code .ci/run} installs them all)
 * a missing peer fails the test.
 */
public final class Peers {

  /** The Debian Python, which has the Debian {@code python3-*} packages (the first python3 on PATH may not). */
  public static final Path PYTHON = Path.of("/usr/bin/python3");

  /** The Python modules the seed stack needs, and the Debian package of each. */
  private static final Map<String, String> PYTHON_MODULES = new LinkedHashMap<>();

  static {
    PYTHON_MODULES.put("websockets", "python3-websockets");
    PYTHON_MODULES.put("fastapi", "python3-fastapi");
    PYTHON_MODULES.put("uvicorn", "python3-uvicorn");
  }

  private Peers() {
  }

  /** True when running in CI, where every peer must be present. */
  public static boolean inCi() {
    return "true".equals(System.getenv("CI"));
  }

  /** What the probe of /usr/bin/python3 found missing (null: not probed yet), and the packages to install. */
  private static String pythonMissing;
  private static String pythonPackages;

  /**
   * Skips (or, in CI, fails) unless /usr/bin/python3 can import websockets, fastapi and uvicorn. Call it before
   * each test (a skip in {@code @BeforeAll} is not reported as one by failsafe); the probe runs once.
   */
  public static synchronized void requirePythonPeers() throws InterruptedException {
    if (pythonMissing == null) {
      probePython();
    }
    if (!pythonMissing.isEmpty()) {
      missing(pythonMissing, pythonPackages);
    }
  }

  private static void probePython() throws InterruptedException {
    if (!Files.isExecutable(PYTHON)) {
      pythonMissing = PYTHON + " is not there";
      pythonPackages = "python3 " + String.join(" ", PYTHON_MODULES.values());
      return;
    }
    // One interpreter start for all modules; prints the version of each it imports and MISSING for the others.
    String probe = String.join("\n",
        "import importlib, sys",
        "for m in sys.argv[1:]:",
        "    try:",
        "        mod = importlib.import_module(m)",
        "        print('FOUND', m, getattr(mod, '__version__', '?'))",
        "    except Exception as e:",
        "        print('MISSING', m, type(e).__name__, e)");
    List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "-c", probe));
    command.addAll(PYTHON_MODULES.keySet());
    String output;
    try {
      output = run(command);
    } catch (IOException e) {
      pythonMissing = "cannot run " + PYTHON + ": " + e.getMessage();
      pythonPackages = "python3";
      return;
    }
    List<String> missingModules = new ArrayList<>();
    List<String> packages = new ArrayList<>();
    for (String line : output.split("\n")) {
      String[] words = line.split(" ", 3);
      if (words.length >= 2 && words[0].equals("MISSING")) {
        missingModules.add(line.substring("MISSING ".length()));
        packages.add(PYTHON_MODULES.get(words[1]));
      }
    }
    for (String module : PYTHON_MODULES.keySet()) {
      if (!output.contains("FOUND " + module + " ") && !packages.contains(PYTHON_MODULES.get(module))) {
        missingModules.add(module + ": the probe said nothing about it; its output was: " + output);
        packages.add(PYTHON_MODULES.get(module));
      }
    }
    if (!missingModules.isEmpty()) {
      pythonMissing = PYTHON + " cannot import " + String.join("; ", missingModules);
      pythonPackages = String.join(" ", packages);
      return;
    }
    System.out.println("[peers] " + PYTHON + ": " + output.strip().replace('\n', ',').replace("FOUND ", ""));
    pythonMissing = "";
  }

  /** Null once /usr/bin/python3 was found to import h2, else why not (null before the probe too). */
  private static String pythonH2Missing;
  private static boolean pythonH2Probed;

  /**
   * Skips (or, in CI, fails) unless /usr/bin/python3 can import {@code h2} (Debian {@code python3-h2}), the HTTP/2
   * client of the WebSocket-over-HTTP/2 tests. Call it before each test; the probe runs once.
   */
  public static synchronized void requirePythonH2() throws InterruptedException {
    if (!pythonH2Probed) {
      pythonH2Probed = true;
      try {
        String out = run(List.of(PYTHON.toString(), "-c", "import h2; print('FOUND h2', h2.__version__)"));
        pythonH2Missing = out.contains("FOUND h2") ? null : PYTHON + " cannot import h2: " + out.strip();
      } catch (IOException e) {
        pythonH2Missing = "cannot run " + PYTHON + ": " + e.getMessage();
      }
    }
    if (pythonH2Missing != null) {
      missing(pythonH2Missing, "python3-h2");
    }
  }

  /** Skips (or, in CI, fails) unless Chromium is there; returns its executable. Call it before each test. */
  public static Path requireChromium() {
    Path found = onPath("chromium");
    if (found == null && Files.isExecutable(Path.of("/usr/bin/chromium"))) {
      found = Path.of("/usr/bin/chromium");
    }
    if (found == null) {
      missing("no chromium on PATH (" + System.getenv("PATH") + ") nor /usr/bin/chromium", "chromium");
    }
    return found;
  }

  /**
   * Skips (or, in CI, fails) unless nginx is there ({@code /usr/sbin/nginx}, else on PATH); returns its executable.
   * Call it before each test.
   */
  public static Path requireNginx() {
    Path found = Files.isExecutable(Path.of("/usr/sbin/nginx")) ? Path.of("/usr/sbin/nginx") : onPath("nginx");
    if (found == null) {
      missing("no /usr/sbin/nginx, nor nginx on PATH (" + System.getenv("PATH") + ")", "nginx");
    }
    return found;
  }

  /**
   * Skips (or, in CI, fails) unless HAProxy is there ({@code /usr/sbin/haproxy}, else on PATH); returns its
   * executable. Call it before each test.
   */
  public static Path requireHaproxy() {
    Path found = Files.isExecutable(Path.of("/usr/sbin/haproxy")) ? Path.of("/usr/sbin/haproxy") : onPath("haproxy");
    if (found == null) {
      missing("no /usr/sbin/haproxy, nor haproxy on PATH (" + System.getenv("PATH") + ")", "haproxy");
    }
    return found;
  }

  /** Where the tests install Node's {@code ws} package (npm registry), once per build. */
  private static final Path NODE_PEERS = Path.of("target", "node-peers");
  /** The {@code ws} release line the tests use. */
  static final String NODE_WS = "ws@8";
  private static String nodeWsMissing;

  /**
   * Skips (or, in CI, fails) unless node and npm are there and {@code npm install ws@8} into
   * {@code target/node-peers} succeeds within 3 minutes (once per build); returns the folder whose
   * {@code node_modules} holds it, to run node scripts from.
   */
  public static synchronized Path requireNodeWs() throws InterruptedException {
    if (nodeWsMissing == null) {
      nodeWsMissing = installNodeWs();
    }
    if (!nodeWsMissing.isEmpty()) {
      missing(nodeWsMissing, "nodejs npm");
    }
    return NODE_PEERS.toAbsolutePath();
  }

  private static String installNodeWs() throws InterruptedException {
    if (onPath("node") == null || onPath("npm") == null) {
      return "no node or npm on PATH (" + System.getenv("PATH") + ")";
    }
    if (Files.isDirectory(NODE_PEERS.resolve("node_modules").resolve("ws"))) {
      return "";
    }
    try {
      Files.createDirectories(NODE_PEERS);
      Process p = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix",
          NODE_PEERS.toAbsolutePath().toString(), NODE_WS).redirectErrorStream(true)
          .redirectOutput(NODE_PEERS.resolve("npm-install.log").toFile()).start();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "npm install " + NODE_WS + " did not finish within 180 s";
      }
      if (p.exitValue() != 0) {
        return "npm install " + NODE_WS + " failed (exit " + p.exitValue() + "): "
            + Files.readString(NODE_PEERS.resolve("npm-install.log")).strip();
      }
      System.out.println("[peers] installed " + NODE_WS + " into " + NODE_PEERS.toAbsolutePath());
      return "";
    } catch (IOException e) {
      return "npm install " + NODE_WS + ": " + e.getMessage();
    }
  }

  private static Path onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static void missing(String what, String debianPackages) {
    String install = "install the Debian package(s): apt-get install " + debianPackages
        + " (.ci/run installs them)";
    if (inCi()) {
      fail("CI=true and a test peer is missing, which fails in CI: " + what + "; " + install);
    }
    System.out.println("[peers] skipped: " + what);
    Assumptions.abort("skipped, a test peer is missing: " + what + "; to run this test, " + install
        + " (with CI=true this fails instead of skipping)");
  }

  /** Runs a short command, bounded, and returns its stdout and stderr together. */
  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      // Bounded below: the output is small, and read after the process ends or is killed.
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        fail(command.get(0) + " did not finish probing its modules within 60 s");
      }
      try (InputStream in = p.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}
