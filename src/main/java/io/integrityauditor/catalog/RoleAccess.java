package io.integrityauditor.catalog;

import io.integrityauditor.Plural;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the role the worker audits with could do if an audit were not read-only. Every audit runs in
 * a READ ONLY transaction, so this is defence in depth: {@code validate} warns when the role is not
 * the least-privilege one the docs describe.
 *
 * @param role the role's name
 * @param superuser it is a superuser
 * @param readOnlyByDefault its sessions default to {@code default_transaction_read_only = on}
 * @param writableTables how many tables it may INSERT, UPDATE, DELETE or TRUNCATE
 * @param someWritable a few of them, for the message
 */
public record RoleAccess(
    String role,
    boolean superuser,
    boolean readOnlyByDefault,
    long writableTables,
    List<String> someWritable) {

  private static final String QUERY =
      "SELECT current_user, r.rolsuper, current_setting('default_transaction_read_only') = 'on',"
          + " (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + "   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + "   AND n.nspname NOT LIKE 'pg\\_toast%'"
          + "   AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')),"
          + " ARRAY(SELECT n.nspname || '.' || c.relname FROM pg_class c"
          + "   JOIN pg_namespace n ON n.oid = c.relnamespace"
          + "   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + "   AND n.nspname NOT LIKE 'pg\\_toast%'"
          + "   AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')"
          + "   ORDER BY 1 LIMIT 3)"
          + " FROM pg_roles r WHERE r.rolname = current_user";

  /**
   * The two statements that let {@code role} read every table of {@code schema}: what {@code
   * validate} and {@code suggest} tell a user whose role cannot read a schema, in the same words.
   */
  public static String readGrants(String schema, String role) {
    String quotedSchema = org.jooq.impl.DSL.quotedName(schema).toString();
    String quotedRole = org.jooq.impl.DSL.quotedName(role).toString();
    return "GRANT USAGE ON SCHEMA "
        + quotedSchema
        + " TO "
        + quotedRole
        + "; GRANT SELECT ON ALL TABLES IN SCHEMA "
        + quotedSchema
        + " TO "
        + quotedRole
        + "; (docs/configuration.md, \"The least-privilege role\")";
  }

  /** Reads the current role's access; the caller owns the (read-only) transaction. */
  public static RoleAccess read(Connection connection) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(QUERY);
        ResultSet rows = statement.executeQuery()) {
      rows.next();
      List<String> some = new ArrayList<>();
      for (Object table : (Object[]) rows.getArray(5).getArray()) {
        some.add(String.valueOf(table));
      }
      return new RoleAccess(
          rows.getString(1), rows.getBoolean(2), rows.getBoolean(3), rows.getLong(4), some);
    }
  }

  /**
   * Whether the role can write nothing now: not a superuser, no table it may write. Its sessions
   * may still not default to read-only (the one remaining reason of {@link #warning}).
   */
  public boolean writesNothing() {
    return !superuser && writableTables == 0;
  }

  /** A warning when the role could write, empty when it is least-privilege. */
  public Optional<String> warning() {
    List<String> reasons = new ArrayList<>();
    if (superuser) {
      reasons.add("it is a superuser");
    }
    if (writableTables > 0) {
      reasons.add(
          "it may write "
              + Plural.of(writableTables, "table")
              + " (e.g. "
              + String.join(", ", someWritable)
              + ")");
    }
    if (!readOnlyByDefault) {
      reasons.add(
          "default_transaction_read_only is off (ALTER ROLE "
              + org.jooq.impl.DSL.quotedName(role)
              + " SET default_transaction_read_only = on)");
    }
    if (reasons.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "role "
            + role
            + " could write: "
            + String.join("; ", reasons)
            + ". Audits still run in READ ONLY transactions, but give the worker a SELECT-only"
            + " role (docs/configuration.md, \"The least-privilege role\").");
  }
}
