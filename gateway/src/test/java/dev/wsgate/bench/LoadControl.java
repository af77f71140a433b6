package dev.wsgate.bench;

import io.netty.channel.EventLoop;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The control side of a load process: commands from the soak on stdin, one a line ({@code stats}, {@code churn on},
 * {@code churn off}, {@code quit}), run on the load's event loop; answers on stdout, prefixed {@code @@}. The end of
 * stdin (the soak has gone) ends the process too, so that no load outlives its soak.
 */
final class LoadControl {

  interface Commands {
    /** The current figures, as a {@link StatsLine}; runs on the event loop. */
    String stats();

    /** Starts or stops the churn; runs on the event loop. */
    void churn(boolean on);
  }

  private LoadControl() {}

  /** Serves commands until {@code quit} or the end of stdin. */
  static void serve(EventLoop loop, Commands commands) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line.strip()) {
        case "stats" -> {
          String stats;
          try {
            stats = loop.submit(commands::stats).get(20, TimeUnit.SECONDS);
          } catch (TimeoutException busy) {
            stats = new StatsLine().put("error", "event-loop-busy").format();
          }
          System.out.println(stats);
          System.out.flush();
        }
        case "churn on" -> loop.execute(() -> commands.churn(true));
        case "churn off" -> loop.execute(() -> commands.churn(false));
        case "quit" -> {
          return;
        }
        default -> System.err.println("unknown command: " + line);
      }
    }
  }
}
