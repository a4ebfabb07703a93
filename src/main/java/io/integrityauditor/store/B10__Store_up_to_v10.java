package io.integrityauditor.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.baseline.BaselineJavaMigration;

/**
 * Flyway's baseline migration of an empty store (its name is Flyway's convention: {@code B}, the
 * version it stands for, the description): the schema of migrations V1 to V10 made in one go.
 * Flyway applies it instead of those ten only to an empty schema, in the transaction of the
 * migrations after it; a store that has migration history keeps getting its missing versioned
 * migrations, as before.
 *
 * <p>Why: a first node on a new store spent most of its start in Flyway (its SQL parser reading
 * every script statement by statement, a transaction and a history row per migration): 37 s of wall
 * time for 1.2 s of CPU at a load of 25. This runs the same files' text, each as one JDBC
 * statement, so a store made either way is the same ({@code StoreBaselineTest} compares their
 * catalogs).
 *
 * <p>It stops at V10 because V1 to V10 all ship: every later version was reserved and may ship out
 * of order after a higher one (V13 before V12), and Flyway never applies a migration below the
 * baseline it applied. The files it reads are shipped, so they never change; their text is its
 * checksum.
 */
final class B10__Store_up_to_v10 extends BaselineJavaMigration {
  /** The versioned migrations this stands for, in order. */
  static final List<String> SCRIPTS =
      List.of(
          "V1__run_history_and_alerts.sql",
          "V2__quartz_job_store.sql",
          "V3__run_attempts_and_counters.sql",
          "V4__latest_results.sql",
          "V5__run_attempts.sql",
          "V6__chunked_and_incremental_runs.sql",
          "V7__alert_owner.sql",
          "V8__violation_keys.sql",
          "V9__skipped_runs.sql",
          "V10__violation_age_and_baselines.sql");

  /** The highest version it stands for (the class name says the same to Flyway). */
  static final int VERSION = 10;

  private final List<String> texts = texts();

  @Override
  public Integer getChecksum() {
    CRC32 crc = new CRC32();
    texts.forEach(text -> crc.update(text.getBytes(StandardCharsets.UTF_8)));
    return (int) crc.getValue();
  }

  @Override
  public void migrate(Context context) throws Exception {
    // Flyway has set the connection's search_path to the store's schema, as for its SQL scripts
    try (Statement statement = context.getConnection().createStatement()) {
      for (String text : texts) {
        statement.execute(text);
      }
    }
  }

  private static List<String> texts() {
    List<String> texts = new ArrayList<>();
    for (String script : SCRIPTS) {
      try (InputStream in =
          B10__Store_up_to_v10.class.getResourceAsStream("/db/migration/" + script)) {
        if (in == null) {
          throw new IllegalStateException("migration " + script + " is missing from the jar");
        }
        texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read migration " + script, e);
      }
    }
    return List.copyOf(texts);
  }
}
