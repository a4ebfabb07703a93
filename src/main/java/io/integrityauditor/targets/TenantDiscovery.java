package io.integrityauditor.targets;

import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.config.TargetTemplate;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Lists a template's tenants and says how to connect to each. */
final class TenantDiscovery {
  // databases the role may connect to; schemas it may use (pg_* and information_schema are never
  // tenants)
  private static final String DATABASES =
      "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
          + " AND has_database_privilege(datname, 'CONNECT') ORDER BY datname";
  private static final String SCHEMAS =
      "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
          + " AND nspname <> 'information_schema' AND has_schema_privilege(oid, 'USAGE')"
          + " ORDER BY nspname";

  private TenantDiscovery() {}

  /** The tenants' names, sorted, read in a read-only transaction on the template's connection. */
  static List<String> list(Connection connection, TargetTemplate template) throws SQLException {
    return ReadOnlyTransaction.run(
        connection,
        ReadOnlyTransaction.Limits.brief(Duration.ofSeconds(30)),
        context -> {
          List<String> tenants = new ArrayList<>();
          String sql = template.layout() == TargetTemplate.Layout.DATABASES ? DATABASES : SCHEMAS;
          try (PreparedStatement statement = connection.prepareStatement(sql);
              ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
              if (template.matches(rows.getString(1))) {
                tenants.add(rows.getString(1));
              }
            }
          }
          return tenants;
        });
  }

  /**
   * How to connect to a tenant: the template's URL with the tenant's database, or with the tenant's
   * schema first in the search path (pgjdbc's {@code currentSchema}), so that the audits'
   * unqualified table names resolve in the tenant's schema.
   */
  /**
   * The search path of a schema-per-tenant member's sessions: its schema as a quoted identifier, so
   * that a schema name with a comma or capitals is one schema, as written.
   */
  static String searchPath(String tenant) {
    return "\"" + tenant.replace("\"", "\"\"") + "\"";
  }

  static DatabaseConfig member(
      DatabaseConfig template, TargetTemplate.Layout layout, String tenant) {
    String url = template.url();
    String encoded = URLEncoder.encode(tenant, StandardCharsets.UTF_8);
    String memberUrl;
    if (layout == TargetTemplate.Layout.DATABASES) {
      int hostStart = url.indexOf("//") + 2;
      int query = url.indexOf('?', hostStart);
      int end = query >= 0 ? query : url.length();
      int pathStart = url.indexOf('/', hostStart);
      String authority = url.substring(0, pathStart >= 0 && pathStart < end ? pathStart : end);
      String rest = query >= 0 ? url.substring(query) : "";
      memberUrl = authority + "/" + encoded + rest;
    } else {
      memberUrl =
          url
              + (url.contains("?") ? "&" : "?")
              + "currentSchema="
              + URLEncoder.encode(searchPath(tenant), StandardCharsets.UTF_8);
    }
    return new DatabaseConfig(
        memberUrl,
        template.user(),
        template.password(),
        template.poolSize(),
        template.connectTimeout());
  }
}
