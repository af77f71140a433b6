package dev.wsgate.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles POSIX signals (SIGINT, SIGTERM, SIGHUP) in wsgate itself: a stop by signal is then an orderly return from
 * {@code run} and the process exits 0, as service managers expect (under the JVM's default handling it would exit
 * 128 + the signal's number), and SIGHUP reloads. A signal the process was started with ignored (as {@code nohup} and
 * non-interactive shells do for SIGINT) stays ignored.
 *
 * <p>The handlers are {@code sun.misc.Signal}'s (module {@code jdk.unsupported}, what Netty and Jetty use), reached
 * reflectively so that the build stays free of javac's proprietary-API warnings.
 */
final class Signals {

  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {
  }

  /**
   * Runs {@code action} (on the JVM's signal thread: keep it short) whenever the signal arrives.
   *
   * @param signal the name without {@code SIG}: {@code INT}, {@code TERM}, {@code HUP}
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
}
