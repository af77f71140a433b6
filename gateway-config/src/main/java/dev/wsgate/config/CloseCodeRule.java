package dev.wsgate.config;

/**
 * Which close codes wsgate may be configured to send (RFC 6455, 7.4, and the IANA registry): the registered codes
 * that may travel in a close frame (1000-1003, 1007-1014) and the codes for libraries and applications (3000-4999).
 * 1004 is reserved, and 1005, 1006 and 1015 must never be sent.
 */
final class CloseCodeRule {
  private CloseCodeRule() {
  }

  static boolean sendable(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  }

  static Integer read(At at, Values values) {
    String expected = "a close code that may be sent: 1000-1003, 1007-1014 or 3000-4999";
    Integer code = values.integer(at, 1000, 4999, expected);
    if (code == null) {
      return null;
    }
    if (!sendable(code)) {
      String why = switch (code) {
        case 1004 -> "; 1004 is reserved";
        case 1005, 1006, 1015 -> "; " + code + " must never be sent in a close frame";
        default -> "";
      };
      values.problems().add(at, code + " (expected: " + expected + why + ")");
      return null;
    }
    return code;
  }
}
