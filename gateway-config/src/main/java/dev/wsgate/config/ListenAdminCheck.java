package dev.wsgate.config;

/** {@code server.listen} and {@code server.admin} cannot hold one port. */
final class ListenAdminCheck {
  private ListenAdminCheck() {
  }

  static void check(Bound<ServerConfig> server, Problems problems) {
    ListenAddress listen = server.get(Schema.LISTEN);
    ListenAddress admin = server.get(Schema.ADMIN);
    if (listen.conflictsWith(admin)) {
      Bound.Located<?> where = server.isWritten(Schema.ADMIN) ? server.located(Schema.ADMIN)
          : server.located(Schema.LISTEN);
      problems.add(where.at(), admin + " (expected: an address apart from server.listen " + listen
          + "; both cannot hold one port)");
    }
  }
}
