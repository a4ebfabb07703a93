package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestPostgres;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * V13 keeps each audit's keys sorted by fingerprint with their first-seen times and baseline flags
 * in arrays; a store written by the V10 layout (keys grouped by first-seen time) is converted
 * without losing an age or a flag, also when it is already at a higher version (V14 shipped first).
 */
class KeyAgesMigrationTest {
  @Test
  void a_store_at_v14_gets_v13_and_keeps_every_first_seen_time_and_baseline_flag() {
    TestPostgres.Database database = TestPostgres.newDatabase("store_v13");
    try (Store store = StoreTest.open(database)) {
      store.migrate();
    }
    // back to a store of the previous release: V14 applied, V13 not, the V10 layout holding keys
    // 30 and -5 first seen on day 1 and in the baseline, and 7 first seen on day 2
    database.execute(
        """
        DELETE FROM integrity_auditor.flyway_schema_history WHERE version = '13';
        DROP TABLE integrity_auditor.violation_age;
        CREATE TABLE integrity_auditor.violation_age (audit_id text NOT NULL,
          run_id bigint NOT NULL, first_seen timestamptz NOT NULL, baseline boolean NOT NULL,
          bucket integer NOT NULL, fingerprints bigint[] NOT NULL,
          CONSTRAINT violation_age_pkey PRIMARY KEY (audit_id, run_id, first_seen, baseline, bucket));
        INSERT INTO integrity_auditor.violation_age VALUES
          ('a', 9, '2026-06-01T00:00:00Z', true, 0, '{30,-5}'),
          ('a', 9, '2026-06-02T00:00:00Z', false, 0, '{7}');
        """);

    try (Store store = StoreTest.open(database)) {
      store.migrate();
    }

    assertThat(
            database.queryLong(
                "SELECT count(*) FROM integrity_auditor.flyway_schema_history WHERE version = '13'"
                    + " AND success"))
        .isEqualTo(1);
    List<Map<String, Object>> keys =
        database.query(
            "SELECT u.fp, to_char(to_timestamp(u.since / 1000000.0) AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD HH24:MI:SS') AS since,"
                + " u.baseline FROM integrity_auditor.violation_age,"
                + " unnest(fingerprints, first_seen, baseline) AS u(fp, since, baseline)"
                + " WHERE audit_id = 'a' AND run_id = 9 ORDER BY seq");
    assertThat(keys)
        .extracting(k -> k.get("fp") + " " + k.get("since") + " " + k.get("baseline"))
        .containsExactly(
            "-5 2026-06-01 00:00:00 true",
            "7 2026-06-02 00:00:00 false",
            "30 2026-06-01 00:00:00 true");
  }
}
