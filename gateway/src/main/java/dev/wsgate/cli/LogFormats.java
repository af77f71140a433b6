package dev.wsgate.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.wsgate.config.LoggingConfig;
import java.net.URL;
import org.slf4j.LoggerFactory;

/**
 * Switches Logback between wsgate's two built-in configurations: human-readable lines ({@code logback.xml}) and JSON
 * lines ({@code dev/wsgate/logback-json.xml}). A configuration of the user's own
 * ({@code -Dlogback.configurationFile}) is left alone.
 */
final class LogFormats {

  private static volatile LoggingConfig.LogFormat applied = LoggingConfig.LogFormat.TEXT;

  private LogFormats() {
  }

  /** Applies a format, unless the user configured Logback themselves; does nothing when it is already applied. */
  static synchronized void apply(LoggingConfig.LogFormat format) {
    if (format == applied || System.getProperty("logback.configurationFile") != null
        || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext)) {
      return;
    }
    URL config = LogFormats.class.getResource(format == LoggingConfig.LogFormat.JSON
        ? "/dev/wsgate/logback-json.xml" : "/logback.xml");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    context.reset();
    try {
      configurator.doConfigure(config);
      applied = format;
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure logging from " + config, e);
    }
  }
}
