package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.bench.PeakHeap;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Requirement 5 of issue 14: a generated schema of 2,000 tables with data (50 rows each, three
 * references per table into earlier tables, no foreign key declared): {@code suggest} reads the
 * catalog, measures every candidate (one bounded query each) and proposes every reference. The
 * elapsed time and peak heap are printed (performance is measured, not asserted: the figure is in
 * docs/suggest.md); the test asserts what was found.
 */
class SuggestScaleTest {
  static final int TABLES = 2000;
  static final int ROWS = 50;

  @Test
  void suggest_on_a_2000_table_schema_finds_every_reference_with_each_query_bounded()
      throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_scale");
    int references = 0;
    StringBuilder ddl = new StringBuilder();
    for (int i = 1; i <= TABLES; i++) {
      List<Integer> parents = parents(i);
      references += parents.size();
      List<String> columns = new ArrayList<>(List.of("id int PRIMARY KEY", "name text"));
      List<String> values = new ArrayList<>(List.of("g", "'n' || g"));
      for (int p : parents) {
        columns.add(table(p) + "_id int");
        values.add("1 + (g * " + (p % 7 + 1) + ") % " + ROWS);
      }
      ddl.append("CREATE TABLE ")
          .append(table(i))
          .append(" (")
          .append(String.join(", ", columns))
          .append(");\nINSERT INTO ")
          .append(table(i))
          .append(" SELECT ")
          .append(String.join(", ", values))
          .append(" FROM generate_series(1, ")
          .append(ROWS)
          .append(") g;\n");
    }
    db.execute(ddl.toString());
    db.execute("ANALYZE");

    SuggestSettings settings =
        new SuggestSettings(
            List.of(),
            SuggestSettings.DEFAULT_SAMPLE_ROWS,
            SuggestSettings.DEFAULT_MIN_COVERAGE,
            SuggestSettings.DEFAULT_EXCLUDES,
            Duration.ofSeconds(10));
    System.gc();
    PeakHeap.reset();
    long started = System.nanoTime();
    Suggestion suggestion;
    try (Connection connection = db.dataSource().getConnection()) {
      Catalog catalog = CatalogReader.read(connection);
      suggestion = Suggester.suggest("app", catalog, db.dataSource(), settings);
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf(
        Locale.ROOT,
        "suggest on %d tables, %d references: %.1f s, peak heap %d MiB (max %d MiB), file %d KiB%n",
        TABLES,
        references,
        elapsed.toMillis() / 1000.0,
        PeakHeap.bytes() / (1024 * 1024),
        Runtime.getRuntime().maxMemory() / (1024 * 1024),
        suggestion.yaml().length() / 1024);

    assertThat(suggestion.proposed()).isEqualTo(references);
    assertThat(suggestion.rejected()).isZero();
    assertThat(suggestion.yaml()).doesNotContain("not measured");
  }

  /** Up to three earlier tables, spread over the whole schema. */
  private static List<Integer> parents(int i) {
    List<Integer> parents = new ArrayList<>();
    for (int k : new int[] {31, 17, 7}) {
      if (i > 1) {
        int p = 1 + (i * k) % (i - 1);
        if (!parents.contains(p)) {
          parents.add(p);
        }
      }
    }
    return parents;
  }

  private static String table(int i) {
    return String.format(Locale.ROOT, "t%04d", i);
  }
}
