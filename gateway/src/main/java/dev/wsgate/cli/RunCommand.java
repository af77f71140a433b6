package dev.wsgate.cli;

import dev.wsgate.config.ConfigError;
import dev.wsgate.config.ConfigException;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.LoggingConfig;
import dev.wsgate.config.Transport;
import dev.wsgate.demo.EchoUpstream;
import dev.wsgate.server.Gateway;
import dev.wsgate.server.GatewayStartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.resources.LoopResources;

/**
 * Runs wsgate with a configuration file, or, without one, the embedded demo: wsgate on port 8080 in front of a
 * built-in echo upstream.
 *
 * <ul>
 *   <li>SIGTERM, SIGINT: drain (1001 to every session, spread over {@code shutdown.drain-window}, at most
 *       {@code shutdown.drain-timeout}), then exit 0;</li>
 *   <li>SIGHUP, or a change of the configuration file: reload; a bad file is refused, its errors logged, and the
 *       running configuration kept.</li>
 * </ul>
 */
final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger("wsgate");
  static final String DEMO_CONFIG = "/dev/wsgate/demo.yaml";

  private final Path config;
  private final LoggingConfig.LogFormat logFormat;
  private final PrintWriter err;

  /** @param logFormat the format asked for on the command line, or null to take the configuration's */
  RunCommand(Path config, LoggingConfig.LogFormat logFormat, PrintWriter err) {
    this.config = config;
    this.logFormat = logFormat;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    // The demo's echo upstream shares the gateway's loops, on the demo configuration's transport (auto); a file's
    // gateway gets loops on the transport the file names, once it is loaded.
    LoopResources loops = null;
    EchoUpstream echo = null;
    GatewayConfig loaded;
    try {
      if (config == null) {
        loops = Gateway.newLoops(Transport.AUTO);
        echo = EchoUpstream.start(loops);
        loaded = demoConfig(echo.port());
      } else {
        loaded = ConfigLoader.withSystemEnvironment().withTls(Gateway.tlsFiles()).load(config);
        loops = Gateway.newLoops(loaded.server().transport());
      }
    } catch (ConfigException e) {
      CheckConfigCommand.printErrors(err, config == null ? "embedded demo configuration" : config.toString(), e);
      shutdown(null, echo, loops);
      return Main.EXIT_ERROR;
    } catch (GatewayStartException e) {
      err.println("wsgate: " + e.getMessage());
      err.flush();
      return Main.EXIT_ERROR;
    }
    LogFormats.apply(logFormat != null ? logFormat : loaded.logging().format());
    if (config == null) {
      log.info("no --config given: running the demo, ws://localhost:{}/echo in front of a built-in echo upstream",
          loaded.server().listen().port());
    }
    Gateway gateway;
    try {
      gateway = Gateway.start(loaded, loops, false);
    } catch (GatewayStartException e) {
      err.println("wsgate: " + e.getMessage());
      err.flush();
      shutdown(null, echo, loops);
      return Main.EXIT_ERROR;
    }

    CountDownLatch stop = new CountDownLatch(1);
    String[] stoppedBy = {"shutdown"};
    List<String> stopOn = new ArrayList<>();
    for (String signal : new String[] {"INT", "TERM"}) {
      if (Signals.handle(signal, () -> {
        stoppedBy[0] = "SIG" + signal;
        stop.countDown();
      })) {
        stopOn.add("SIG" + signal);
      }
    }
    // Reloads, from SIGHUP or the file watcher, one at a time.
    ExecutorService reloads = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "wsgate-reload");
      t.setDaemon(true);
      return t;
    });
    ConfigWatcher watcher = null;
    if (config != null) {
      Signals.handle("HUP", () -> reloads.execute(() -> reload(gateway, "SIGHUP")));
      try {
        watcher = new ConfigWatcher(config, () -> reloads.execute(() -> reload(gateway, "file change")));
      } catch (IOException e) {
        log.warn("cannot watch {} for changes ({}); reload with SIGHUP", config, e.getMessage());
      }
    }
    EchoUpstream demo = echo;
    LoopResources gatewayLoops = loops;
    AtomicBoolean stopped = new AtomicBoolean();
    // Other ways out (System.exit elsewhere, a signal the handlers could not take) still close in order.
    Thread hook = new Thread(() -> {
      if (stopped.compareAndSet(false, true)) {
        shutdown(gateway, demo, gatewayLoops);
      }
    }, "wsgate-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("wsgate {} started; stop it with {}{}", Version.current(), stopOn.isEmpty() ? "SIGKILL"
        : String.join(" or ", stopOn), config != null ? "; reload with SIGHUP or by editing " + config : "");

    stop.await();
    log.info("{} received: draining, then stopping", stoppedBy[0]);
    if (watcher != null) {
      watcher.close();
    }
    reloads.shutdownNow();
    if (stopped.compareAndSet(false, true)) {
      gateway.drain();
      shutdown(gateway, demo, loops);
    }
    Runtime.getRuntime().removeShutdownHook(hook);
    log.info("stopped");
    return 0;
  }

  private void reload(Gateway gateway, String why) {
    try {
      GatewayConfig next = ConfigLoader.withSystemEnvironment().withTls(Gateway.tlsFiles()).load(config);
      gateway.reload(next);
      LogFormats.apply(logFormat != null ? logFormat : next.logging().format());
      log.info("reloaded {} on {}", config, why);
    } catch (ConfigException e) {
      gateway.reloadRefused();
      log.error("reload ({}) refused: {} has {} error(s); the running configuration stays", why, config,
          e.errors().size());
      for (ConfigError error : e.errors()) {
        log.error("  {}", error);
      }
    } catch (RuntimeException e) {
      gateway.reloadRefused();
      log.error("reload ({}) failed; the running configuration stays", why, e);
    }
  }

  private static void shutdown(Gateway gateway, EchoUpstream echo, LoopResources loops) {
    if (gateway != null) {
      gateway.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (loops != null) {
      loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }
  }

  /** The embedded demo configuration, with the echo upstream's port filled in. */
  static GatewayConfig demoConfig(int echoPort) throws ConfigException {
    String yaml;
    try (InputStream in = RunCommand.class.getResourceAsStream(DEMO_CONFIG)) {
      if (in == null) {
        throw new IllegalStateException(DEMO_CONFIG + " is missing from the jar");
      }
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + DEMO_CONFIG, e);
    }
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("WSGATE_DEMO_ECHO_PORT", Integer.toString(echoPort));
    return ConfigLoader.withEnvironment(env).withTls(Gateway.tlsFiles())
        .parse(yaml, "embedded demo configuration", Path.of("").toAbsolutePath());
  }
}
