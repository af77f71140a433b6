package dev.wsgate.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for SIGINT or SIGTERM and handles them itself, so that a stop is an orderly return from {@code run} and the
 * process exits 0, as service managers expect; under the JVM's default handling a stop by signal exits 128 + the
 * signal's number. A signal the process was started with ignored (as {@code nohup} and non-interactive shells do
 * for SIGINT) stays ignored.
 *
 * <p>The handlers are {@code sun.misc.Signal}'s (module {@code jdk.unsupported}, what Netty and Jetty use), reached
 * reflectively so that the build stays free of javac's proprietary-API warnings.
 */
final class StopSignals {

  private static final Logger log = LoggerFactory.getLogger("wsgate");

  private final CountDownLatch received = new CountDownLatch(1);
  private volatile String name;

  /** Installs the handlers; returns the names of the signals that will stop wsgate. */
  List<String> install() {
    List<String> installed = new ArrayList<>();
    for (String signal : new String[] {"INT", "TERM"}) {
      if (handle(signal, () -> {
        name = "SIG" + signal;
        received.countDown();
      })) {
        installed.add("SIG" + signal);
      }
    }
    return installed;
  }

  /**
   * Runs {@code action} (on the JVM's signal thread) whenever the signal arrives.
   *
   * @return false when the signal cannot be handled here (ignored at start, reserved, or no such signal)
   */
  static boolean handle(String signal, Runnable action) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Constructor<?> constructor = signalClass.getConstructor(String.class);
      Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
      Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
          (proxy, method, args) -> {
            if (method.getName().equals("handle")) {
              action.run();
              return null;
            }
            return method.getName().equals("toString") ? "wsgate SIG" + signal + " handler"
                : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : proxy == args[0];
          });
      handle.invoke(null, constructor.newInstance(signal), handler);
      return true;
    } catch (ReflectiveOperationException | RuntimeException unavailable) {
      Throwable why = unavailable.getCause() != null ? unavailable.getCause() : unavailable;
      log.debug("SIG{} cannot be handled by wsgate: {}", signal, why.toString());
      return false;
    }
  }

  /** Blocks until a stop signal arrives, and returns its name. */
  String await() throws InterruptedException {
    received.await();
    return name;
  }

  boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    return received.await(timeout, unit);
  }
}
