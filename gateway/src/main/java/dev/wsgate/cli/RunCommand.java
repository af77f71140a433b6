package dev.wsgate.cli;

import dev.wsgate.config.ConfigException;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.demo.EchoUpstream;
import dev.wsgate.server.Gateway;
import dev.wsgate.server.GatewayStartException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.resources.LoopResources;

/**
 * Runs wsgate with a configuration file, or, without one, the embedded demo: wsgate on port 8080 in front of a
 * built-in echo upstream. Runs until SIGINT or SIGTERM.
 */
final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger("wsgate");
  static final String DEMO_CONFIG = "/dev/wsgate/demo.yaml";

  private final Path config;
  private final PrintWriter err;

  RunCommand(Path config, PrintWriter out, PrintWriter err) {
    this.config = config;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    LoopResources loops = Gateway.newLoops();
    EchoUpstream echo = null;
    GatewayConfig loaded;
    try {
      if (config == null) {
        echo = EchoUpstream.start(loops);
        loaded = demoConfig(echo.port());
        log.info("no --config given: running the demo, ws://localhost:{}/echo in front of a built-in echo upstream",
            loaded.server().listen().port());
      } else {
        loaded = ConfigLoader.withSystemEnvironment().load(config);
      }
    } catch (ConfigException e) {
      CheckConfigCommand.printErrors(err, config == null ? "embedded demo configuration" : config.toString(), e);
      shutdown(null, echo, loops);
      return Main.EXIT_ERROR;
    }
    Gateway gateway;
    try {
      gateway = Gateway.start(loaded, loops, false, new SimpleMeterRegistry());
    } catch (GatewayStartException e) {
      err.println("wsgate: " + e.getMessage());
      err.flush();
      shutdown(null, echo, loops);
      return Main.EXIT_ERROR;
    }
    StopSignals signals = new StopSignals();
    List<String> stopOn = signals.install();
    EchoUpstream demo = echo;
    AtomicBoolean stopped = new AtomicBoolean();
    // Other ways out (System.exit elsewhere, a signal the handlers could not take) still stop in order.
    Thread hook = new Thread(() -> {
      if (stopped.compareAndSet(false, true)) {
        shutdown(gateway, demo, loops);
      }
    }, "wsgate-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("wsgate {} started; stop it with {}", Version.current(), stopOn.isEmpty() ? "SIGKILL"
        : String.join(" or ", stopOn));
    String signal = signals.await();
    log.info("{} received: stopping", signal);
    if (stopped.compareAndSet(false, true)) {
      shutdown(gateway, demo, loops);
    }
    Runtime.getRuntime().removeShutdownHook(hook);
    log.info("stopped");
    return 0;
  }

  private static void shutdown(Gateway gateway, EchoUpstream echo, LoopResources loops) {
    if (gateway != null) {
      gateway.close();
    }
    if (echo != null) {
      echo.close();
    }
    loops.disposeLater().block(java.time.Duration.ofSeconds(10));
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
    return ConfigLoader.withEnvironment(env).parse(yaml, "embedded demo configuration",
        Path.of("").toAbsolutePath());
  }
}
