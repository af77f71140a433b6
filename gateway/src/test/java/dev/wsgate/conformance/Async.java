package dev.wsgate.conformance;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Socket work off the test thread, for the two things a single thread cannot do: write a message larger than the
 * socket buffers while reading it at the other end, and wait on both ends of a session at once. Every wait is
 * bounded; a read or write still blocked when a case ends fails with its socket, which the case closes.
 */
final class Async {

  /** Blocking socket work. */
  interface Io<T> {
    T call() throws Exception;
  }

  /** Blocking socket work without a result. */
  interface IoRun {
    void run() throws Exception;
  }

  private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "conformance-io");
    t.setDaemon(true);
    return t;
  });

  private Async() {
  }

  static <T> CompletableFuture<T> call(Io<T> io) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return io.call();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, POOL);
  }

  static CompletableFuture<Void> run(IoRun io) {
    return call(() -> {
      io.run();
      return null;
    });
  }

  /** The result, waiting at most {@code timeout}; what the work threw is thrown here. */
  static <T> T join(CompletableFuture<T> f, Duration timeout, String what) throws Exception {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("not within " + timeout + ": " + what);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
          ? e.getCause().getCause() : e.getCause();
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      if (cause instanceof Exception) {
        throw (Exception) cause;
      }
      throw e;
    }
  }

  /** Waits, at most {@code timeout}, until one of the two is done (either may have failed). */
  static void first(CompletableFuture<?> a, CompletableFuture<?> b, Duration timeout, String what)
      throws InterruptedException {
    try {
      CompletableFuture.anyOf(a, b).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException failedFirst) {
      // one is done; its own join reports what it threw
    } catch (TimeoutException e) {
      throw new AssertionError("not within " + timeout + ": " + what);
    }
  }
}
