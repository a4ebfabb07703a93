package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.cli.CliRunner.Outcome;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code suggest --migrations FILE --clean-for 30d} (issue 14, requirement 4): graduation of a
 * reference to a real foreign key only once its orphan audit has been clean for the time asked,
 * read from the run history in a real store. Each reference of the target stands for one case:
 * clean long enough, violations recently, failed runs only, never run, no audit configured,
 * violations in its latest run, and clean since too recently.
 */
class SuggestGraduationTest {
  static TestPostgres.Database target;
  static TestPostgres.Database store;

  /** The history is written relative to now: the test does not depend on the date it runs. */
  static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @TempDir Path dir;

  @BeforeAll
  static void databases() {
    target = TestPostgres.newDatabase("suggest_graduation");
    target.execute(
        """
        CREATE TABLE customers (id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 20);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
        INSERT INTO orders SELECT i, 1 + i % 20 FROM generate_series(1, 100) i;
        CREATE TABLE order_lines (id int PRIMARY KEY, order_id int);
        INSERT INTO order_lines SELECT i, 1 + i % 100 FROM generate_series(1, 300) i;
        CREATE TABLE refunds (id int PRIMARY KEY, order_id int);
        INSERT INTO refunds SELECT i, i FROM generate_series(1, 50) i;
        CREATE TABLE shipments (id int PRIMARY KEY, order_id int);
        INSERT INTO shipments SELECT i, i FROM generate_series(1, 60) i;
        CREATE TABLE notes (id int PRIMARY KEY, customer_id int);
        INSERT INTO notes SELECT i, 1 + i % 20 FROM generate_series(1, 40) i;
        CREATE TABLE invoices (id int PRIMARY KEY, customer_id int);
        INSERT INTO invoices SELECT i, 1 + i % 20 FROM generate_series(1, 70) i;
        CREATE TABLE returns (id int PRIMARY KEY, order_id int);
        INSERT INTO returns SELECT i, i FROM generate_series(1, 30) i;
        ANALYZE;
        """);
    store = TestPostgres.newDatabase("suggest_graduation_store");
    try (Store opened =
        Store.open(
            new DatabaseConfig(
                store.url(), "postgres", Optional.empty(), 2, Duration.ofSeconds(10)))) {
      opened.migrate();
    }
    history();
  }

  /** The configured audits: ids of the team's choosing, matched to proposals by reference. */
  private static final String AUDITS =
      """
      defaults:
        target: app
        schedule: "@daily"
      audits:
        - {id: orders-have-customers, kind: orphan, child: orders.customer_id, parent: customers.id}
        - {id: lines-have-orders, kind: orphan, child: order_lines.order_id, parent: orders.id}
        - {id: refunds-have-orders, kind: orphan, child: refunds.order_id, parent: orders.id}
        - {id: shipments-have-orders, kind: orphan, child: shipments.order_id, parent: orders.id}
        - {id: invoices-have-customers, kind: orphan, child: invoices.customer_id, parent: customers.id}
        - {id: returns-have-orders, kind: orphan, child: returns.order_id, parent: orders.id}
        # a filtered audit checks less than a foreign key would: it does not count
        - id: notes-of-active-customers
          kind: orphan
          child: {table: notes, columns: [customer_id], where: {id: {gt: 10}}}
          parent: customers.id
      """;

  /** Runs of the audits, as the worker records them (days before now, status, violations). */
  private static void history() {
    store.execute(
        run("orders-have-customers", 45, "ok", 0L)
            + run("orders-have-customers", 31, "error", null)
            + run("orders-have-customers", 20, "ok", 0L)
            + run("orders-have-customers", 1, "ok", 0L)
            + run("lines-have-orders", 60, "ok", 0L)
            + run("lines-have-orders", 10, "violations", 3L)
            + run("lines-have-orders", 9, "ok", 0L)
            + run("lines-have-orders", 2, "ok", 0L)
            + run("refunds-have-orders", 40, "error", null)
            + run("refunds-have-orders", 5, "timeout", null)
            + run("invoices-have-customers", 50, "ok", 0L)
            + run("invoices-have-customers", 3, "violations", 7L)
            + run("returns-have-orders", 12, "ok", 0L)
            + run("returns-have-orders", 1, "ok", 0L));
  }

  private static String run(String audit, int daysAgo, String status, Long violations) {
    Instant at = NOW.minus(daysAgo, ChronoUnit.DAYS);
    boolean completed = violations != null;
    return """
        INSERT INTO integrity_auditor.audit_run (audit_id, target, kind, severity, trigger_type,
            scheduled_fire_time, started_at, finished_at, status, violations, rows_checked,
            duration_ms, error_class, error_message, node_id)
        VALUES ('%s', 'app', 'orphan', 'warning', 'schedule', '%s', '%s', '%s', '%s', %s, %s, 40,
            %s, %s, 'node-1');
        """
        .formatted(
            audit,
            at,
            at,
            at.plusSeconds(1),
            status,
            completed ? violations : "NULL",
            completed ? "100" : "NULL",
            completed ? "NULL" : "'query_failed'",
            completed ? "NULL" : "'failed'");
  }

  /** {@code suggest --migrations FILE --clean-for D} with the audits above. */
  private Outcome suggest(Path migrations, String cleanFor) {
    Workspace workspace = new Workspace(dir);
    Path config = workspace.config(target, store);
    workspace.write("audits/app.yaml", AUDITS);
    return CliRunner.execute(
        "suggest",
        "--config",
        config.toString(),
        "--out",
        dir.resolve("suggested.yaml").toString(),
        "--migrations",
        migrations.toString(),
        "--clean-for",
        cleanFor);
  }

  @Test
  void writes_foreign_keys_only_for_audits_clean_for_the_time_asked_and_says_why_for_the_others()
      throws Exception {
    Path file = dir.resolve("enforce.sql");
    Outcome outcome = suggest(file, "30d");

    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    String sql = Files.readString(file);
    assertThat(sql)
        .contains("-- Only references whose orphan audit has been clean for at least 30d")
        // clean since 45 days (a failed run in between says nothing about the data)
        .contains(
            "-- public.orders.customer_id -> public.customers.id (audit orders.customer)\n"
                + "-- audit orders-have-customers clean since "
                + day(45)
                + " (45d, at least 30d asked; latest completed run "
                + day(1)
                + ")\n"
                + "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"orders_customer_id_idx\"")
        .contains(
            "-- not written: audit lines-have-orders found 3 violations on "
                + day(10)
                + "; it has been clean since "
                + day(9)
                + ": 9d of the 30d asked\n")
        .contains(
            "-- not written: audit refunds-have-orders has failed runs only (2 runs, none"
                + " completed): its data was never checked\n")
        .contains("-- not written: audit shipments-have-orders never ran\n")
        .contains(
            "-- public.notes.customer_id -> public.customers.id (audit notes.customer)\n"
                + "-- not written: no configured orphan audit checks this reference (without"
                + " filters): add the proposed audit and let it run for 30d\n")
        .contains(
            "-- not written: audit invoices-have-customers found 7 violations on "
                + day(3)
                + ", its latest completed run\n")
        .contains(
            "-- not written: audit returns-have-orders has been clean since "
                + day(12)
                + ": 12d of the 30d asked\n");
    assertThat(sql.lines().filter(l -> l.startsWith("ALTER TABLE")).toList())
        .containsExactly(
            "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"orders_customer_id_fkey\" FOREIGN"
                + " KEY (\"customer_id\") REFERENCES \"public\".\"customers\" (\"id\") NOT VALID;",
            "ALTER TABLE \"public\".\"orders\" VALIDATE CONSTRAINT \"orders_customer_id_fkey\";");
    assertThat(outcome.err())
        .contains(
            "1 foreign key written to "
                + file
                + "; 6 held back by run history (--clean-for 30d):\n")
        .contains("  shipments.order: audit shipments-have-orders never ran\n");
  }

  @Test
  void a_shorter_clean_time_lets_more_references_graduate() throws Exception {
    Path file = dir.resolve("enforce.sql");
    Outcome outcome = suggest(file, "7d");
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    assertThat(
            Files.readString(file)
                .lines()
                .filter(l -> l.startsWith("ALTER TABLE") && l.contains("VALIDATE CONSTRAINT"))
                .map(l -> l.replaceFirst(".*VALIDATE CONSTRAINT ", ""))
                .toList())
        .containsExactlyInAnyOrder(
            "\"orders_customer_id_fkey\";",
            "\"order_lines_order_id_fkey\";",
            "\"returns_order_id_fkey\";");
  }

  @Test
  void clean_for_without_migrations_is_an_argument_error() {
    Path config = new Workspace(dir).config(target, store);
    Outcome outcome =
        CliRunner.execute("suggest", "--config", config.toString(), "--clean-for", "30d");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains("--clean-for")
        .contains("needs --migrations FILE: it chooses what that file enforces");
  }

  @Test
  void clean_for_without_a_store_section_says_it_reads_the_store() {
    Workspace workspace = new Workspace(dir);
    Path config = workspace.config(target, null);
    workspace.write("audits/app.yaml", AUDITS);
    Outcome outcome =
        CliRunner.execute(
            "suggest",
            "--config",
            config.toString(),
            "--out",
            dir.resolve("suggested.yaml").toString(),
            "--migrations",
            dir.resolve("enforce.sql").toString(),
            "--clean-for",
            "30d");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err()).contains("suggest --clean-for reads the store: add a store: section");
    assertThat(dir.resolve("enforce.sql")).as("nothing is written").doesNotExist();
  }

  private static String day(int daysAgo) {
    return NOW.minus(daysAgo, ChronoUnit.DAYS).toString();
  }
}
