package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.serve.Auditor;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The members of a schema-per-tenant template share their idle connections: a run of one tenant
 * after another's reuses the session, with the tenant's schema as its search path, instead of
 * opening a new one (a new backend for every run of a fleet's small audits).
 */
class TenantSessionsTest {
  @TempDir Path dir;

  /** The backend, the schema unqualified names resolve in, and how many orders that schema has. */
  private record Seen(int pid, String schema, long orders) {}

  @Test
  void a_tenant_reuses_another_tenants_idle_session_with_its_own_schema_as_search_path()
      throws Exception {
    TestPostgres.Database shop = TestPostgres.newDatabase("tenant_sessions");
    for (String schema : new String[] {"t_one", "t_two", "T,odd"}) {
      String quoted = "\"" + schema + "\"";
      shop.execute(
          "CREATE SCHEMA " + quoted + "; CREATE TABLE " + quoted + ".orders (id int PRIMARY KEY)");
    }
    shop.execute("INSERT INTO t_one.orders SELECT generate_series(1, 1)");
    shop.execute("INSERT INTO t_two.orders SELECT generate_series(1, 2)");
    shop.execute("INSERT INTO \"T,odd\".orders SELECT generate_series(1, 3)");
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/none.yaml", "audits: []\n");
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "node_id: sessions\ntargets:\n  shop:\n    url: "
                + shop.url()
                + "\n    user: postgres\n    schemas: \"*\"\n"
                + "audits:\n  - audits/*.yaml\n");
    try (Auditor auditor = Auditor.open(workspace.load(config), Clock.systemUTC())) {
      auditor.loadAudits(); // lists the tenants
      Seen one = seen(auditor.targets().dataSource("shop@t_one"));
      Seen two = seen(auditor.targets().dataSource("shop@t_two"));
      Seen odd = seen(auditor.targets().dataSource("shop@T,odd"));
      Seen oneAgain = seen(auditor.targets().dataSource("shop@t_one"));

      assertThat(one).isEqualTo(new Seen(one.pid(), "t_one", 1));
      assertThat(two).isEqualTo(new Seen(one.pid(), "t_two", 2));
      assertThat(odd).isEqualTo(new Seen(one.pid(), "T,odd", 3));
      assertThat(oneAgain).isEqualTo(new Seen(one.pid(), "t_one", 1));
    }
  }

  private static Seen seen(DataSource tenant) throws SQLException {
    try (Connection connection = tenant.getConnection();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT pg_backend_pid(), current_schema(), (SELECT count(*) FROM orders)")) {
      row.next();
      Seen seen = new Seen(row.getInt(1), row.getString(2), row.getLong(3));
      connection.rollback();
      return seen;
    }
  }
}
