package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.cli.CliRunner.Outcome;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code suggest --migrations}: the SQL that graduates a proposed reference to a real foreign key
 * applies cleanly on a copy of a clean database and fails at VALIDATE on a dirty one; the audited
 * database itself is never changed.
 */
class SuggestMigrationsTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("suggest_migrations");
    db.execute(
        """
        CREATE TABLE customers (id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 20);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
        INSERT INTO orders SELECT i, 1 + i % 20 FROM generate_series(1, 100) i;
        CREATE TABLE order_lines (id int PRIMARY KEY, order_id int);
        CREATE INDEX order_lines_by_order ON order_lines (order_id, id);
        INSERT INTO order_lines SELECT i, 1 + i % 100 FROM generate_series(1, 300) i;
        CREATE TABLE refunds (id int PRIMARY KEY, order_id int);
        INSERT INTO refunds SELECT i, CASE WHEN i = 1 THEN 5000 ELSE i END FROM generate_series(1, 50) i;
        ANALYZE;
        """);
  }

  private String migrations() throws Exception {
    Path config = new Workspace(dir).config(db, null);
    Path file = dir.resolve("migrations/enforce.sql");
    Outcome outcome =
        CliRunner.execute(
            "suggest",
            "--config",
            config.toString(),
            "--out",
            dir.resolve("suggested.yaml").toString(),
            "--migrations",
            file.toString());
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    return Files.readString(file);
  }

  @Test
  void writes_index_not_valid_constraint_and_validate_as_separate_steps_with_their_locks()
      throws Exception {
    String sql = migrations();
    assertThat(sql)
        .contains("-- Written for review, never applied by the tool.")
        .contains("SHARE ROW EXCLUSIVE on child and parent")
        .contains(
            "-- public.orders.customer_id -> public.customers.id (audit orders.customer)\n"
                + "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"orders_customer_id_idx\" ON"
                + " \"public\".\"orders\" (\"customer_id\");\n"
                + "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"orders_customer_id_fkey\""
                + " FOREIGN KEY (\"customer_id\") REFERENCES \"public\".\"customers\" (\"id\")"
                + " NOT VALID;\n"
                + "ALTER TABLE \"public\".\"orders\" VALIDATE CONSTRAINT"
                + " \"orders_customer_id_fkey\";\n")
        // an index already starts with order_id: none is added
        .contains(
            "-- public.order_lines.order_id -> public.orders.id (audit order_lines.order)\n"
                + "ALTER TABLE \"public\".\"order_lines\" ADD CONSTRAINT")
        .contains(
            "-- public.refunds.order_id -> public.orders.id (audit refunds.order)\n"
                + "-- not written: 1 value(s) of the sample have no parent; run the audit until it"
                + " is clean, then run suggest --migrations again\n");
    assertThat(foreignKeys(db.name())).as("the audited database is never changed").isZero();
  }

  @Test
  void the_migration_applies_on_a_clean_copy_and_fails_at_validate_on_a_dirty_one()
      throws Exception {
    List<String> statements =
        migrations().lines().filter(l -> !l.startsWith("--") && !l.isBlank()).toList();
    assertThat(statements).hasSize(5);

    String clean = copy("clean");
    apply(clean, statements);
    assertThat(foreignKeys(clean)).isEqualTo(2);
    assertThat(validated(clean)).isEqualTo(2);

    String dirty = copy("dirty");
    execute(dirty, "INSERT INTO orders VALUES (1000, 9999)");
    assertThatThrownBy(() -> apply(dirty, statements))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("violates foreign key constraint \"orders_customer_id_fkey\"")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23503"));
    // order_lines (written first) is enforced; orders' NOT VALID constraint is in place (new
    // rows are checked) but not validated
    assertThat(foreignKeys(dirty)).isEqualTo(2);
    assertThat(validated(dirty)).isEqualTo(1);
  }

  private static String copy(String suffix) {
    String name = db.name() + "_" + suffix;
    try (Connection connection = db.server().getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + name);
      statement.execute("CREATE DATABASE " + name + " TEMPLATE " + db.name());
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return name;
  }

  /** One statement at a time, outside a transaction block, as the file says. */
  private static void apply(String database, List<String> statements) throws SQLException {
    try (Connection connection = db.server().getDatabase("postgres", database).getConnection();
        Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  private static void execute(String database, String sql) throws SQLException {
    apply(database, List.of(sql));
  }

  private static long foreignKeys(String database) throws SQLException {
    return count(database, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'");
  }

  private static long validated(String database) throws SQLException {
    return count(
        database, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated");
  }

  private static long count(String database, String sql) throws SQLException {
    try (Connection connection = db.server().getDatabase("postgres", database).getConnection();
        Statement statement = connection.createStatement();
        var rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
