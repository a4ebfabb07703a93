package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.integrityauditor.bench.PeakHeap;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.support.TestPostgres;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.ref.Reference;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.junit.jupiter.api.Test;

/**
 * Requirement 5 of issue 14: a generated schema of 2,000 tables with data (50 rows each, three
 * references per table into earlier tables, no foreign key declared): {@code suggest} reads the
 * catalog, measures every candidate (one bounded query each) and proposes every reference. The
 * elapsed time and heap figures are printed (performance is measured, not asserted: the figures are
 * in docs/suggest.md); the test asserts what was found.
 *
 * <p>Memory: the catalog retained after a full collection, the largest heap in use right after any
 * collection during the run (an upper bound of what {@code suggest} kept alive: catalog, report and
 * file), and the heap pools' peak (garbage included). Other sizes, to see how memory follows the
 * schema and the data: {@code -Dsuggest.scale.tables=500,1000,2000 -Dsuggest.scale.rows=50}.
 */
class SuggestScaleTest {
  static final List<Integer> TABLES = sizes(System.getProperty("suggest.scale.tables", "2000"));
  static final int ROWS = Integer.parseInt(System.getProperty("suggest.scale.rows", "50"));

  @Test
  void suggest_on_a_2000_table_schema_finds_every_reference_with_each_query_bounded()
      throws Exception {
    for (int tables : TABLES) {
      suggestOn(tables);
    }
  }

  private static void suggestOn(int tables) throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_scale_" + tables + "_" + ROWS);
    int references = 0;
    StringBuilder ddl = new StringBuilder();
    for (int i = 1; i <= tables; i++) {
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
    long base = retained();
    Suggestion suggestion;
    Duration elapsed;
    long catalogBytes;
    long liveAfterGc;
    long peak;
    try (Connection connection = db.dataSource().getConnection();
        LiveHeap live = new LiveHeap()) {
      PeakHeap.reset();
      long started = System.nanoTime();
      Catalog catalog = CatalogReader.read(connection);
      suggestion = Suggester.suggest("app", catalog, db.dataSource(), settings);
      elapsed = Duration.ofNanos(System.nanoTime() - started);
      peak = PeakHeap.bytes() - base;
      liveAfterGc = live.max() - base;
      catalogBytes = retained() - base - strings(suggestion);
      Reference.reachabilityFence(catalog);
    }
    System.out.printf(
        Locale.ROOT,
        "suggest on %d tables (%d rows each), %d references: %.1f s; catalog retained %.1f MiB,"
            + " largest heap after a collection %.1f MiB, peak heap %.0f MiB (max %d MiB);"
            + " file %d KiB%n",
        tables,
        ROWS,
        references,
        elapsed.toMillis() / 1000.0,
        catalogBytes / 1048576.0,
        liveAfterGc / 1048576.0,
        peak / 1048576.0,
        Runtime.getRuntime().maxMemory() / (1024 * 1024),
        suggestion.yaml().length() / 1024);

    assertThat(suggestion.proposed()).isEqualTo(references);
    assertThat(suggestion.rejected()).isZero();
    assertThat(suggestion.yaml()).doesNotContain("not measured");
  }

  /** Heap in use after a full collection. */
  private static long retained() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** What the two texts of a suggestion hold (UTF-16 at worst: Latin-1 strings take half). */
  private static long strings(Suggestion suggestion) {
    return (long) suggestion.yaml().length() + suggestion.migrations().length();
  }

  /**
   * The largest heap in use right after any garbage collection while it is open: an upper bound of
   * the data kept alive at that point (a young collection leaves old garbage counted).
   */
  private static final class LiveHeap implements AutoCloseable {
    private final AtomicLong max = new AtomicLong();
    private final List<Runnable> removals = new ArrayList<>();

    LiveHeap() {
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (gc instanceof NotificationEmitter emitter) {
          NotificationListener listener =
              (notification, handback) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                    notification.getType())) {
                  GarbageCollectionNotificationInfo info =
                      GarbageCollectionNotificationInfo.from(
                          (CompositeData) notification.getUserData());
                  long used =
                      info.getGcInfo().getMemoryUsageAfterGc().values().stream()
                          .mapToLong(MemoryUsage::getUsed)
                          .sum();
                  max.accumulateAndGet(used, Math::max);
                }
              };
          emitter.addNotificationListener(listener, null, null);
          removals.add(
              () -> {
                try {
                  emitter.removeNotificationListener(listener);
                } catch (ListenerNotFoundException e) {
                  throw new IllegalStateException(e);
                }
              });
        }
      }
    }

    long max() {
      return max.get();
    }

    @Override
    public void close() {
      removals.forEach(Runnable::run);
    }
  }

  private static List<Integer> sizes(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
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
