package dev.wsgate.config;

import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in a YAML value with environment variables; {@code $${}
 * writes a literal {@code ${}. The default is used when the variable is unset or empty, as in the shell.
 */
final class EnvSubstitution {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The value after substitution, or the error that prevented it. */
  record Result(String value, String error) {
  }

  private EnvSubstitution() {
  }

  static Result apply(String text, Function<String, String> env) {
    if (text.indexOf('$') < 0) {
      return new Result(text, null);
    }
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '$' && text.startsWith("$${", i)) {
        out.append("${");
        i += 3;
      } else if (c == '$' && text.startsWith("${", i)) {
        int end = text.indexOf('}', i + 2);
        if (end < 0) {
          return new Result(null, "unterminated ${ (expected: ${NAME} or ${NAME:-default}; write $${ for a literal ${)");
        }
        String body = text.substring(i + 2, end);
        int sep = body.indexOf(":-");
        String name = sep < 0 ? body : body.substring(0, sep);
        if (!NAME.matcher(name).matches()) {
          return new Result(null, "${" + body + "} (expected: ${NAME} or ${NAME:-default}, NAME made of letters, "
              + "digits and _)");
        }
        String value = env.apply(name);
        if (value == null || (value.isEmpty() && sep >= 0)) {
          if (sep < 0) {
            return new Result(null, "${" + name + "}: environment variable " + name + " is not set (expected: set it, "
                + "or give a default: ${" + name + ":-value})");
          }
          value = body.substring(sep + 2);
        }
        out.append(value);
        i = end + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return new Result(out.toString(), null);
  }
}
