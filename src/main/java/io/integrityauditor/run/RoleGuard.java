package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.kind.SqlSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The run-time half of the functions refused in {@code kind: sql} audits: a {@code kind: sql} audit
 * runs user-written SQL, and any function it calls may call lo_export or pg_terminate_backend in
 * turn, out of sight of the text check. Such calls only take effect for roles allowed to make them,
 * so a sql audit refuses to run as a superuser or a member of the roles that may read or write
 * server files, run programs or signal other sessions, unless the audit sets {@code
 * allow_privileged_role: true}.
 */
final class RoleGuard {
  private static final String PRIVILEGES =
      "SELECT r.rolsuper, ARRAY(SELECT g.rolname::text FROM pg_roles g"
          + " WHERE g.rolname IN ('pg_read_server_files', 'pg_write_server_files',"
          + " 'pg_execute_server_program', 'pg_signal_backend')"
          + " AND pg_has_role(r.oid, g.oid, 'MEMBER') ORDER BY g.rolname)"
          + " FROM pg_roles r WHERE r.rolname = current_user";

  private RoleGuard() {}

  /** Why the audit must not run on this session, or empty when it may. */
  static Optional<RunError> refusal(Audit audit, Connection connection) throws SQLException {
    if (!(audit.spec() instanceof SqlSpec sql) || sql.allowPrivilegedRole()) {
      return Optional.empty();
    }
    List<String> reasons = new ArrayList<>();
    String role;
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(PRIVILEGES)) {
      if (!rows.next()) {
        return Optional.empty();
      }
      if (rows.getBoolean(1)) {
        reasons.add("is a superuser");
      } else {
        for (String member : (String[]) rows.getArray(2).getArray()) {
          reasons.add("is a member of " + member);
        }
      }
      role = connection.getMetaData().getUserName();
    }
    if (reasons.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new RunError(
            "privileged_role",
            "not run: role "
                + role
                + " "
                + String.join(" and ", reasons)
                + ", so a function this sql audit calls could write server files or stop other"
                + " sessions despite the READ ONLY transaction; run the worker as a SELECT-only"
                + " role (docs/configuration.md, \"The least-privilege role\"), or set"
                + " allow_privileged_role: true on the audit"));
  }
}
