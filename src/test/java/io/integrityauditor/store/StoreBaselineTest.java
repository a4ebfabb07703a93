package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * A new store is made by Flyway's baseline migration (V1 to V10 at once) and the migrations after
 * it; an existing store got every versioned migration one by one. Both must be the same store.
 */
class StoreBaselineTest {
  /**
   * The store's schema as text, one line per object: relations, columns with types, defaults and
   * nullability, constraints, indexes, sequences, functions, triggers, views and comments.
   */
  private static final String CATALOG =
      """
      SELECT line FROM (
        SELECT format('relation %s %s %s %s', c.relname, c.relkind, c.relpersistence, c.reloptions)
          AS line
        FROM pg_class c WHERE c.relnamespace = 'integrity_auditor'::regnamespace
        UNION ALL
        SELECT format('column %s.%s #%s %s notnull=%s default=%s identity=%s generated=%s',
            c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
            pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'integrity_auditor'::regnamespace AND a.attnum > 0
          AND NOT a.attisdropped
        UNION ALL
        SELECT format('constraint %s on %s: %s', conname, conrelid::regclass,
            pg_get_constraintdef(oid))
        FROM pg_constraint WHERE connamespace = 'integrity_auditor'::regnamespace
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = 'integrity_auditor'::regnamespace
        UNION ALL
        SELECT format('sequence %s %s %s %s %s', sequencename, data_type, start_value, increment_by,
            max_value)
        FROM pg_sequences WHERE schemaname = 'integrity_auditor'
        UNION ALL
        SELECT 'function ' || pg_get_functiondef(p.oid) FROM pg_proc p
        WHERE p.pronamespace = 'integrity_auditor'::regnamespace
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'integrity_auditor'::regnamespace AND NOT t.tgisinternal
        UNION ALL
        SELECT format('view %s: %s', c.relname, pg_get_viewdef(c.oid)) FROM pg_class c
        WHERE c.relnamespace = 'integrity_auditor'::regnamespace AND c.relkind IN ('v', 'm')
        UNION ALL
        SELECT format('comment %s %s: %s', c.relname, d.objsubid, d.description)
        FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
        WHERE c.relnamespace = 'integrity_auditor'::regnamespace
      ) catalog ORDER BY line
      """;

  @Test
  void a_new_store_made_from_the_baseline_equals_one_made_by_every_migration() {
    TestPostgres.Database stepByStep = TestPostgres.newDatabase("store_steps");
    // as every store made before the baseline existed: each versioned migration on its own
    Flyway.configure(Store.class.getClassLoader())
        .dataSource(stepByStep.dataSource())
        .schemas(Store.SCHEMA)
        .createSchemas(true)
        .locations("classpath:db/migration")
        .outOfOrder(true)
        .load()
        .migrate();
    TestPostgres.Database baselined = TestPostgres.newDatabase("store_baseline");
    try (Store store = StoreTest.open(baselined)) {
      store.migrate();
    }

    List<String> madeByBaseline = catalog(baselined);
    assertThat(madeByBaseline).hasSizeGreaterThan(300);
    assertThat(madeByBaseline).isEqualTo(catalog(stepByStep));
    // and it was made by the baseline: one history row for V1 to V10, then each later migration
    assertThat(
            baselined.query(
                "SELECT version, type FROM integrity_auditor.flyway_schema_history"
                    + " WHERE version IS NOT NULL AND success ORDER BY installed_rank"))
        .extracting(row -> row.get("version") + " " + row.get("type"))
        .first()
        .isEqualTo(B10__Store_up_to_v10.VERSION + " JDBC_BASELINE");
    assertThat(
            baselined.queryLong(
                "SELECT count(*) FROM integrity_auditor.flyway_schema_history"
                    + " WHERE version IS NOT NULL AND success"))
        .isEqualTo(Store.MIGRATIONS - B10__Store_up_to_v10.VERSION + 1);
  }

  @Test
  void a_store_made_from_the_baseline_is_current_and_flyway_finds_nothing_to_do() {
    TestPostgres.Database database = TestPostgres.newDatabase("store_baseline_current");
    try (Store store = StoreTest.open(database)) {
      store.migrate();
      long rows =
          database.queryLong("SELECT count(*) FROM integrity_auditor.flyway_schema_history");
      store.migrate();
      Flyway flyway = Store.flyway(store.dataSource());
      assertThat(flyway.info().pending()).isEmpty();
      assertThat(flyway.migrate().migrationsExecuted).isZero();
      assertThat(database.queryLong("SELECT count(*) FROM integrity_auditor.flyway_schema_history"))
          .isEqualTo(rows);
    }
  }

  @Test
  void the_baseline_stands_for_exactly_the_shipped_migrations_up_to_its_version()
      throws IOException {
    Pattern versioned = Pattern.compile("V(\\d+)__.*\\.sql");
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
      List<String> upToBaseline =
          files
              .map(path -> path.getFileName().toString())
              .map(versioned::matcher)
              .filter(
                  m -> m.matches() && Integer.parseInt(m.group(1)) <= B10__Store_up_to_v10.VERSION)
              .sorted(
                  (a, b) ->
                      Integer.compare(Integer.parseInt(a.group(1)), Integer.parseInt(b.group(1))))
              .map(m -> m.group())
              .toList();
      assertThat(B10__Store_up_to_v10.SCRIPTS).isEqualTo(upToBaseline);
      assertThat(upToBaseline).hasSize(B10__Store_up_to_v10.VERSION);
    }
  }

  /** The schema, then every table's rows (the Quartz lock rows are seeded) but Flyway's history. */
  private static List<String> catalog(TestPostgres.Database database) {
    List<String> lines = new ArrayList<>();
    database.query(CATALOG).forEach(row -> lines.add((String) row.get("line")));
    for (Map<String, Object> table :
        database.query(
            "SELECT relname FROM pg_class WHERE relnamespace = 'integrity_auditor'::regnamespace"
                + " AND relkind = 'r' AND relname <> 'flyway_schema_history' ORDER BY relname")) {
      lines.add(
          "rows of "
              + table.get("relname")
              + ": "
              + database.query(
                  "SELECT coalesce(string_agg(t::text, ';' ORDER BY t::text), '') AS rows"
                      + " FROM integrity_auditor.\""
                      + table.get("relname")
                      + "\" t"));
    }
    return lines;
  }
}
