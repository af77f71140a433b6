package dev.wsgate.cli;

import dev.wsgate.config.ConfigError;
import dev.wsgate.config.ConfigException;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.ConfigSummary;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.server.Gateway;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code wsgate check-config FILE}: validates a file and prints its effective configuration, like {@code nginx -t}. */
@Command(
    name = "check-config",
    mixinStandardHelpOptions = true,
    description = "Checks a configuration file without starting anything. Prints the effective configuration (every "
        + "default applied) and exits 0, or prints every error, each with its line, YAML path, value and rule, and "
        + "exits 1.")
final class CheckConfigCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE", description = "The YAML configuration file to check.")
  Path file;

  @CommandLine.Option(names = "--debug", description = "Print stack traces with unexpected errors.")
  boolean debug;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      GatewayConfig config = ConfigLoader.withSystemEnvironment().withTls(Gateway.tlsFiles()).load(file);
      out.print(ConfigSummary.render(config));
      out.println("# " + file + ": configuration OK");
      out.flush();
      return 0;
    } catch (ConfigException e) {
      printErrors(err, file.toString(), e);
      return Main.EXIT_ERROR;
    }
  }

  /** Prints every error, one per line, then how many there were. */
  static void printErrors(PrintWriter err, String source, ConfigException e) {
    for (ConfigError error : e.errors()) {
      err.println(error);
    }
    int n = e.errors().size();
    err.println(source + ": " + n + (n == 1 ? " error" : " errors") + ", configuration refused");
    err.flush();
  }
}
