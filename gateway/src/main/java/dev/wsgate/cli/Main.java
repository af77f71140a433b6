package dev.wsgate.cli;

import ch.qos.logback.classic.LoggerContext;
import dev.wsgate.config.LoggingConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar wsgate.jar}: runs the gateway, or checks a configuration file.
 *
 * <p>Exit codes: 0 success, 1 a configuration or start-up error (the message says which), 2 a usage error.
 */
@Command(
    name = "wsgate",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "A WebSocket gateway that keeps every hop alive: it proxies WebSocket sessions to upstreams chosen by route, "
            + "pings both legs, evicts dead peers and closes sessions before any proxy's idle timeout cuts them.",
        "",
        "Without --config it starts a demo: ws://localhost:8080/echo in front of a built-in echo upstream. SIGTERM "
            + "or SIGINT drains (1001 to every session) and exits 0; SIGHUP, or a change of the file, reloads it."},
    subcommands = {CheckConfigCommand.class, HealthCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:configuration or start-up error", "2:usage error"})
public final class Main implements Callable<Integer> {

  /** Exit code of a configuration or start-up error. */
  static final int EXIT_ERROR = 1;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "The YAML configuration to run. Without it, the embedded demo configuration runs.")
  Path config;

  @Option(names = "--log-format", paramLabel = "FORMAT", converter = LogFormatConverter.class,
      description = "text or json (JSON lines); overrides logging.format of the configuration.")
  LoggingConfig.LogFormat logFormat;

  @Option(names = "--debug", description = "Print stack traces with errors.")
  boolean debug;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    nettyDefaults(System.getProperties());
    int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    // Logging is asynchronous: let the queued lines out before the process ends.
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext) {
      ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
    }
    System.exit(code);
  }

  /** Netty's buffer leak detection, the level wsgate runs with unless {@code -Dio.netty.leakDetection.level} is set. */
  static final String LEAK_DETECTION = "io.netty.leakDetection.level";

  /**
   * wsgate's defaults for Netty, before any Netty class reads them: no buffer leak detection. Netty's own default
   * samples one buffer in 128 and records where it was touched (a stack trace each time): 2% of wsgate's CPU under
   * echo load (perf), for a check the tests make at the paranoid level on every buffer. A level set on the command
   * line is kept ({@code -Dio.netty.leakDetection.level=simple} to have Netty's back).
   */
  static void nettyDefaults(java.util.Properties properties) {
    properties.putIfAbsent(LEAK_DETECTION, "disabled");
  }

  /** Runs the command line with the given output streams and returns the exit code (for tests). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      boolean debug = parseResult.hasMatchedOption("--debug")
          || (parseResult.hasSubcommand() && parseResult.subcommand().hasMatchedOption("--debug"));
      commandLine.getErr().println("wsgate: " + describe(e));
      if (debug) {
        e.printStackTrace(commandLine.getErr());
      } else {
        commandLine.getErr().println("(run with --debug for the stack trace)");
      }
      commandLine.getErr().flush();
      return EXIT_ERROR;
    });
    return cli.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    return new RunCommand(config, logFormat, spec.commandLine().getErr()).call();
  }

  /** {@code --log-format text|json}. */
  static final class LogFormatConverter implements CommandLine.ITypeConverter<LoggingConfig.LogFormat> {
    @Override
    public LoggingConfig.LogFormat convert(String value) {
      for (LoggingConfig.LogFormat f : LoggingConfig.LogFormat.values()) {
        if (f.yamlName().equals(value)) {
          return f;
        }
      }
      throw new CommandLine.TypeConversionException("'" + value + "' (expected: text or json)");
    }
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
