package dev.wsgate.cli;

import dev.wsgate.config.ConfigException;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.ConfigSummary;
import dev.wsgate.config.GatewayConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Runs wsgate with a configuration file, or with the embedded demo configuration. */
final class RunCommand implements Callable<Integer> {
  private final Path config;
  private final PrintWriter out;
  private final PrintWriter err;

  RunCommand(Path config, PrintWriter out, PrintWriter err) {
    this.config = config;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    if (config == null) {
      err.println("wsgate: no --config given, and the embedded demo needs the server, which is not built yet");
      return Main.EXIT_ERROR;
    }
    GatewayConfig loaded;
    try {
      loaded = ConfigLoader.withSystemEnvironment().load(config);
    } catch (ConfigException e) {
      CheckConfigCommand.printErrors(err, config.toString(), e);
      return Main.EXIT_ERROR;
    }
    out.print(ConfigSummary.render(loaded));
    out.flush();
    return 0;
  }
}
