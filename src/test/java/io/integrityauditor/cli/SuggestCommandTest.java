package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.cli.CliRunner.Outcome;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@code suggest}: where it writes, its arguments, its exit codes. */
class SuggestCommandTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("suggest_cli");
    db.execute(
        """
        CREATE TABLE customers (id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 20);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
        INSERT INTO orders SELECT i, 1 + i % 20 FROM generate_series(1, 100) i;

        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema"."Line.Items" (id int PRIMARY KEY, "order.Id" int, "no" int);
        CREATE TABLE "Odd Schema"."Order" (id int PRIMARY KEY);
        INSERT INTO "Odd Schema"."Order" SELECT generate_series(1, 5);
        INSERT INTO "Odd Schema"."Line.Items" SELECT i, 1 + i % 5, i FROM generate_series(1, 10) i;
        """);
  }

  /** A workspace whose audit glob matches nothing yet: suggest writes the first file. */
  private Path config() {
    return new Workspace(dir).config(db, null);
  }

  @Test
  void prints_the_audit_file_to_standard_output_and_a_summary_to_standard_error() {
    Outcome outcome =
        CliRunner.execute("suggest", "--config", config().toString(), "--schema", "public");
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .startsWith("# Orphan audits proposed by `integrity-auditor suggest` for target app.\n")
        .contains(
            "defaults:\n"
                + "  target: app\n"
                + "\n"
                + "audits:\n"
                + "  # public.orders.customer_id -> public.customers.id (names the table)\n"
                + "  # evidence: 20/20 distinct values (100.0%), 100/100 rows (100.0%) found, in"
                + " the whole table (100 rows)\n"
                + "  - id: orders.customer\n"
                + "    description: inferred reference orders.customer_id -> customers.id\n"
                + "    kind: orphan\n"
                + "    child: orders.customer_id\n"
                + "    parent: customers.id\n");
    assertThat(outcome.err())
        .isEqualTo(
            "1 audit proposed, 0 not proposed for type alignment, 0 columns rejected,"
                + " 0 foreign keys already enforced\n");
  }

  @Test
  void the_written_file_passes_validate_unchanged_even_with_names_that_need_quoting()
      throws Exception {
    Path config = config();
    Path file = dir.resolve("audits/suggested.yaml");
    Outcome suggest =
        CliRunner.execute("suggest", "--config", config.toString(), "--out", file.toString());
    assertThat(suggest.code()).as(suggest.err()).isEqualTo(ExitCodes.CLEAN);
    assertThat(suggest.err()).endsWith("; written to " + file + "\n");
    assertThat(suggest.out()).isEmpty();
    assertThat(Files.readString(file))
        .contains("    child: '\"Odd Schema\".\"Line.Items\".\"order.Id\"'\n")
        .contains("    parent: '\"Odd Schema\".Order.id'\n");

    Outcome validate = CliRunner.execute("validate", "--config", config.toString());
    assertThat(validate.code()).as(validate.err()).isEqualTo(ExitCodes.CLEAN);
    assertThat(validate.out())
        .contains("role postgres could write") // the test's superuser; nothing else to warn about
        .endsWith("2 audits in 1 file are valid against 1 target (1 warning)\n");
  }

  @Test
  void the_same_database_gives_the_same_file() {
    String first = CliRunner.execute("suggest", "--config", config().toString()).out();
    String second = CliRunner.execute("suggest", "--config", config().toString()).out();
    assertThat(second).isEqualTo(first).isNotEmpty();
  }

  @Test
  void settings_are_recorded_in_the_header() {
    Outcome outcome =
        CliRunner.execute(
            "suggest",
            "--config",
            config().toString(),
            "--schema",
            "public",
            "--sample-rows",
            "500",
            "--min-coverage",
            "0.75",
            "--timeout",
            "10s",
            "--no-default-excludes",
            "--exclude",
            "crm_*");
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .contains(
            "# Settings: schemas public; sample up to 500 rows per column; minimum coverage 75%;"
                + " evidence query\n# timeout 10s.\n# Excluded column patterns: crm_*.\n");
  }

  @Test
  void an_unknown_target_is_a_configuration_error_with_a_suggestion() {
    Outcome outcome =
        CliRunner.execute("suggest", "--config", config().toString(), "--target", "ap");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains(
            "command line: key '--target': unknown target 'ap' (did you mean app?); configured"
                + " targets: app");
    assertThat(outcome.out()).isEmpty();
  }

  @Test
  void arguments_out_of_range_are_configuration_errors() {
    assertThat(
            CliRunner.execute("suggest", "--config", config().toString(), "--min-coverage", "0")
                .err())
        .contains("key '--min-coverage': must be above 0 and at most 1, found 0.0");
    assertThat(
            CliRunner.execute("suggest", "--config", config().toString(), "--sample-rows", "0")
                .err())
        .contains("key '--sample-rows': must be between 1 and 10000000, found 0");
    Outcome timeout =
        CliRunner.execute("suggest", "--config", config().toString(), "--timeout", "soon");
    assertThat(timeout.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(timeout.err()).contains("key '--timeout': must be a duration");
  }

  @Test
  void an_unknown_schema_is_a_configuration_error() {
    Outcome outcome =
        CliRunner.execute("suggest", "--config", config().toString(), "--schema", "publik");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains(
            "key '--schema': target app has no table in schema publik (did you mean public?)");
  }

  @Test
  void an_unreachable_target_exits_3_and_writes_nothing() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path config =
        new Workspace(dir)
            .write(
                "integrity-auditor.yaml",
                "targets:\n  app:\n    url: jdbc:postgresql://localhost:"
                    + closedPort
                    + "/nope\n    user: postgres\n    connect_timeout: 1s\n");
    Path file = dir.resolve("out.yaml");
    Outcome outcome =
        CliRunner.execute("suggest", "--config", config.toString(), "--out", file.toString());
    assertThat(outcome.code()).isEqualTo(ExitCodes.COULD_NOT_RUN);
    assertThat(outcome.err())
        .startsWith("error: cannot read target app: ")
        .contains("nothing was written")
        .contains("run suggest again");
    assertThat(file).doesNotExist();
  }

  @Test
  void help_lists_suggest() {
    assertThat(CliRunner.execute("--help").out()).contains("suggest");
    assertThat(CliRunner.execute("suggest", "--help").out())
        .contains("--sample-rows")
        .contains("--min-coverage")
        .contains("--exclude");
  }

  @Test
  void a_schema_the_role_cannot_read_is_a_warning_with_the_grants_and_tenant_keyed_audits_validate()
      throws Exception {
    TestPostgres.Database tenant = TestPostgres.newDatabase("suggest_cli_tenant");
    tenant.execute(
        """
        CREATE TABLE users (id text, instance_id text, PRIMARY KEY (id, instance_id));
        CREATE TABLE orgs (id text, instance_id text, PRIMARY KEY (id, instance_id));
        CREATE TABLE events (instance_id text, aggregate_type text, aggregate_id text,
          sequence bigint, PRIMARY KEY (instance_id, aggregate_type, aggregate_id, sequence));
        INSERT INTO users SELECT 'u' || g, 'inst-' || (g % 2) FROM generate_series(1, 20) g;
        INSERT INTO orgs SELECT 'o' || g, 'inst-' || (g % 2) FROM generate_series(1, 10) g;
        INSERT INTO events SELECT u.instance_id, 'user', u.id, 1 FROM users u;
        INSERT INTO events SELECT o.instance_id, 'org', o.id, 1 FROM orgs o;
        CREATE SCHEMA projections;
        CREATE TABLE projections.failed_events (id int PRIMARY KEY, user_id text);
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'suggest_cli_public_only') THEN
            CREATE ROLE suggest_cli_public_only LOGIN;
          END IF;
        END $$;
        GRANT USAGE ON SCHEMA public TO suggest_cli_public_only;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO suggest_cli_public_only;
        ANALYZE;
        """);
    Workspace workspace = new Workspace(dir);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: "
                + tenant.url()
                + "\n    user: suggest_cli_public_only\naudits:\n  - audits/*.yaml\n");
    Path file = dir.resolve("audits/suggested.yaml");
    Outcome suggest =
        CliRunner.execute("suggest", "--config", config.toString(), "--out", file.toString());
    assertThat(suggest.code()).as(suggest.err()).isEqualTo(ExitCodes.CLEAN);
    // once, before the counts, with the grants validate would name
    assertThat(suggest.err())
        .startsWith(
            "warning: role suggest_cli_public_only cannot read schema projections (1 table), so"
                + " none of its columns could be measured; grant it: GRANT USAGE ON SCHEMA"
                + " \"projections\" TO \"suggest_cli_public_only\"; GRANT SELECT ON ALL TABLES IN"
                + " SCHEMA \"projections\" TO \"suggest_cli_public_only\";")
        .containsOnlyOnce("cannot read schema projections");
    assertThat(Files.readString(file))
        .contains("    id_columns: [aggregate_id, instance_id]\n")
        .contains("      user: {table: users, columns: [id, instance_id]}\n");

    Outcome validate = CliRunner.execute("validate", "--config", config.toString());
    assertThat(validate.code()).as(validate.out() + validate.err()).isEqualTo(ExitCodes.CLEAN);
  }
}
