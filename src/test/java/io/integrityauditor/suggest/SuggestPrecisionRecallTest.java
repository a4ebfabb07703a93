package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.audit.kind.OrphanSpec;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quality bar of issue #6: a realistic schema with its foreign keys declared (fixture.sql), the
 * keys dropped, {@code suggest} run through the command line, and what it proposes compared with
 * what was dropped. The figures are quoted in README.md and docs/suggest.md.
 */
class SuggestPrecisionRecallTest {
  static TestPostgres.Database db;

  /** The dropped foreign keys, as {@code schema.table(columns) -> schema.table(columns)}. */
  static Set<String> declared;

  @TempDir Path dir;

  @BeforeAll
  static void fixture() {
    db = TestPostgres.newDatabase("suggest_fixture");
    db.execute(resource("suggest/fixture.sql"));
    declared = foreignKeys(db);
    dropForeignKeys(db);
    // Without foreign keys, orphans accumulate: suggest must still see these references.
    db.execute(
        """
        INSERT INTO tasks (project_id, status_id, assignee_id, title)
        SELECT md5('project1')::uuid, 1, 9000 + i, 'orphan' FROM generate_series(1, 4) i;
        INSERT INTO comments (task_id, author_id, body)
        SELECT 90000 + i, 1, 'orphan' FROM generate_series(1, 20) i;
        ANALYZE;
        """);
  }

  @Test
  void suggest_recovers_the_dropped_foreign_keys_with_at_least_95_percent_precision_and_recall()
      throws Exception {
    assertThat(declared).hasSizeGreaterThanOrEqualTo(20);

    Workspace workspace = new Workspace(dir);
    Path config = workspace.config(db, null);
    Path file = dir.resolve("audits/suggested.yaml");
    CliRunner.Outcome suggest =
        CliRunner.execute("suggest", "--config", config.toString(), "--out", file.toString());
    assertThat(suggest.code()).as(suggest.err()).isEqualTo(ExitCodes.CLEAN);

    // the file passes validate unchanged
    CliRunner.Outcome validate = CliRunner.execute("validate", "--config", config.toString());
    assertThat(validate.code()).as(validate.err()).isEqualTo(ExitCodes.CLEAN);

    Set<String> proposed = proposed(file);
    Set<String> correct = new TreeSet<>(proposed);
    correct.retainAll(declared);
    Set<String> missed = new TreeSet<>(declared);
    missed.removeAll(proposed);
    Set<String> wrong = new TreeSet<>(proposed);
    wrong.removeAll(declared);
    double precision = (double) correct.size() / proposed.size();
    double recall = (double) correct.size() / declared.size();
    System.out.printf(
        "suggest on fixture.sql: %d declared, %d proposed, %d correct: precision %.1f%%, recall"
            + " %.1f%%%nmissed: %s%nwrong: %s%n%s",
        declared.size(),
        proposed.size(),
        correct.size(),
        100 * precision,
        100 * recall,
        missed,
        wrong,
        Files.readString(file));

    assertThat(precision).as("precision; wrong: %s", wrong).isGreaterThanOrEqualTo(0.95);
    assertThat(recall).as("recall; missed: %s", missed).isGreaterThanOrEqualTo(0.95);
    // the figures README.md and docs/suggest.md quote: 51 of 51, nothing wrong
    assertThat(declared).hasSize(51);
    assertThat(missed).isEmpty();
    assertThat(wrong).isEmpty();
  }

  /** The references of the orphan audits in {@code file}, resolved against the catalog. */
  private static Set<String> proposed(Path file) throws SQLException {
    AuditSet set = new AuditFileLoader(Set.of("app"), AuditKinds.ALL).load(List.of(file));
    assertThat(set.problems()).isEmpty();
    Catalog catalog;
    try (Connection connection = db.dataSource().getConnection()) {
      catalog = CatalogReader.read(connection);
    }
    Set<String> references = new TreeSet<>();
    for (Audit audit : set.audits()) {
      OrphanSpec spec = (OrphanSpec) audit.spec();
      references.add(side(catalog, spec.child()) + " -> " + side(catalog, spec.parent()));
    }
    assertThat(references).hasSameSizeAs(set.audits());
    return references;
  }

  private static String side(Catalog catalog, TableColumns side) {
    TableInfo table = catalog.resolve(side.table()).table().orElseThrow();
    List<String> columns =
        side.columns().stream().map(c -> table.column(c).orElseThrow().name()).toList();
    return table.id() + "(" + String.join(", ", columns) + ")";
  }

  /** Every foreign key as {@code schema.table(columns) -> schema.table(columns)}. */
  static final String FOREIGN_KEYS =
      """
      SELECT n.nspname || '.' || c.relname || '(' || array_to_string(ARRAY(
               SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
               ORDER BY k.ord), ', ') || ') -> '
          || fn.nspname || '.' || f.relname || '(' || array_to_string(ARRAY(
               SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
               ORDER BY k.ord), ', ') || ')'
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = COALESCE(pg_partition_root(con.conrelid), con.conrelid)
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_class f ON f.oid = COALESCE(pg_partition_root(con.confrelid), con.confrelid)
      JOIN pg_namespace fn ON fn.oid = f.relnamespace
      WHERE con.contype = 'f' AND con.conparentid = 0
      """;

  /**
   * The declared foreign keys. A key of a partition is its partitioned table's: whether inherited
   * from it ({@code conparentid} set, counted once) or declared on each partition by hand (as
   * Pagila's {@code payment_p2022_*}), it holds the partitioned table's rows, and suggest proposes
   * on the partitioned table.
   */
  static Set<String> foreignKeys(TestPostgres.Database database) {
    Set<String> keys = new TreeSet<>();
    try (Connection connection = database.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(FOREIGN_KEYS)) {
      while (rows.next()) {
        keys.add(rows.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return keys;
  }

  /** Drops every foreign key: what a database that never declared them looks like. */
  static void dropForeignKeys(TestPostgres.Database database) {
    database.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
          FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
                   WHERE contype = 'f' AND conparentid = 0
          LOOP
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
          END LOOP;
        END $$;
        """);
    assertThat(database.queryLong("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
        .isZero();
  }

  static String resource(String name) {
    try (InputStream in =
        SuggestPrecisionRecallTest.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
