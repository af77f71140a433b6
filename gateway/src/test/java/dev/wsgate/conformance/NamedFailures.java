package dev.wsgate.conformance;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Puts the case's name ("7.13.1 close 5000, client→upstream") at the head of its failure: failsafe's reports name
 * a parameterized case only by its method and index.
 */
final class NamedFailures implements TestExecutionExceptionHandler {

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    String name = context.getDisplayName();
    Throwable named = failure instanceof AssertionError
        ? new AssertionError(name + ": " + failure.getMessage(), failure)
        : new Exception(name + ": " + failure, failure);
    named.setStackTrace(failure.getStackTrace());
    throw named;
  }
}
