package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestClock;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each tracked violating key knows when it was first seen: the age of the oldest open violation,
 * violations by age, and {@code threshold: {max_age}} as a grace period. Runs start at controlled
 * times (a clock the test moves), nothing sleeps.
 */
class ViolationAgeTest {
  static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");

  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;
  TestClock clock = new TestClock(T0);

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("age_target");
    store = TestPostgres.newDatabase("age_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT i FROM generate_series(1, 100) i;
        -- rows 1-40 are orphans, more than the sample: ages must not come from the sample
        CREATE TABLE child (tenant int, id int, parent_id int, PRIMARY KEY (id, tenant));
        INSERT INTO child SELECT i / 1000, i, CASE WHEN i <= 40 THEN 1000 + i ELSE 1 + i % 100 END
          FROM generate_series(1, 20000) i;
        ANALYZE parent; ANALYZE child;
        """);
  }

  private static String audit(String extra) {
    return """
        audits:
          - id: aged
            kind: orphan
            child: child.parent_id
            parent: parent.id
            sample_size: 5
            mode: full
        %s
        """
        .formatted(extra.indent(4).stripTrailing());
  }

  private AuditResult runAt(Duration sinceT0, String yaml) {
    clock = new TestClock(T0.plus(sinceT0));
    return Audits.run(dir, target, store, yaml, "", clock).get("aged");
  }

  /** Rows violating for at least 1h, 1d, 7d, 30d at the latest run, as the store keeps them. */
  private String olderThan() {
    return String.valueOf(
        store
            .query(
                "SELECT array_to_string(violations_older_than, ',') AS v"
                    + " FROM integrity_auditor.audit_latest WHERE audit_id = 'aged'")
            .get(0)
            .get("v"));
  }

  private Instant oldestSince() {
    return ((java.sql.Timestamp)
            store
                .query(
                    "SELECT oldest_violation_since AS t FROM integrity_auditor.audit_latest"
                        + " WHERE audit_id = 'aged'")
                .get(0)
                .get("t"))
        .toInstant();
  }

  private List<Boolean> breaches() {
    return store
        .query(
            "SELECT threshold_breached AS b FROM integrity_auditor.audit_run"
                + " WHERE audit_id = 'aged' ORDER BY id")
        .stream()
        .map(r -> (Boolean) r.get("b"))
        .toList();
  }

  @Test
  void every_open_violation_keeps_the_time_it_was_first_seen() {
    String yaml = audit("");
    AuditResult first = runAt(Duration.ZERO, yaml);
    // two days later: 10 orphans fixed, 7 new ones
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id <= 10;"
            + "UPDATE child SET parent_id = 5000 + id WHERE id BETWEEN 101 AND 107;");
    AuditResult second = runAt(Duration.ofDays(2), yaml);

    assertThat(first.keyHistory().orElseThrow().oldestSince()).contains(T0);
    assertThat(Results.violations(second)).isEqualTo(37);
    assertThat(second.keyHistory().orElseThrow().oldestSince()).contains(T0);
    assertThat(oldestSince()).isEqualTo(T0);
    assertThat(olderThan()).as("1h, 1d, 7d, 30d").isEqualTo("30,30,0,0");
    assertThat(
            store.query(
                "SELECT baseline_violations AS b, oldest_violation_since = '2026-06-01T00:00:00Z'"
                    + " AS t FROM integrity_auditor.audit_run ORDER BY id"))
        .as("per run: none in a baseline, the oldest since the first run")
        .containsExactly(Map.of("b", 0L, "t", true), Map.of("b", 0L, "t", true));

    // eight days after the first run the 30 old ones pass 7 days, the 7 of day 2 pass 1 day
    runAt(Duration.ofDays(8), yaml);
    assertThat(olderThan()).isEqualTo("37,37,30,0");
    assertThat(
            store.queryLong(
                "SELECT sum(cardinality(fingerprints)) FROM integrity_auditor.violation_age"))
        .as("one fingerprint per open violation, of the latest run only")
        .isEqualTo(37);
  }

  @Test
  void a_fixed_row_that_breaks_again_is_new() {
    String yaml = audit("");
    runAt(Duration.ZERO, yaml);
    target.execute("UPDATE child SET parent_id = 1 WHERE id = 1");
    runAt(Duration.ofDays(1), yaml);
    target.execute("UPDATE child SET parent_id = 7001 WHERE id = 1");
    runAt(Duration.ofDays(3), yaml);

    assertThat(olderThan()).as("row 1 is 0 days old, rows 2-40 three days").isEqualTo("39,39,0,0");
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.violation_age,"
                    + " unnest(fingerprints, first_seen) AS u(fp, since)"
                    + " WHERE since = extract(epoch FROM timestamptz '2026-06-04T00:00:00Z') * 1000000"))
        .isEqualTo(1);
  }

  @Test
  void max_age_is_a_grace_period_before_violations_breach() {
    String yaml = audit("threshold: {max_age: 2d}");
    AuditResult fresh = runAt(Duration.ZERO, yaml);
    AuditResult oneDay = runAt(Duration.ofDays(1), yaml);
    AuditResult justUnder = runAt(Duration.ofDays(2).minusSeconds(1), yaml);
    AuditResult threeDays = runAt(Duration.ofDays(3), yaml);

    assertThat(List.of(fresh, oneDay, justUnder, threeDays))
        .extracting(AuditResult::thresholdBreached)
        .containsExactly(false, false, false, true);
    assertThat(breaches()).containsExactly(false, false, false, true);
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.alert WHERE audit_id = 'aged'"
                    + " AND state = 'open'"))
        .isEqualTo(1);
    assertThat(threeDays.audit().threshold().describe())
        .isEqualTo("any violation violating for more than 2d");
  }

  @Test
  void with_max_violations_only_rows_past_the_grace_period_count() {
    String yaml = audit("threshold: {max_age: 2d, max_violations: 35}");
    runAt(Duration.ZERO, yaml);
    // day 1: 10 fixed, 7 new; day 3: 30 rows past the grace period (7 are 2 days old: not yet)
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id <= 10;"
            + "UPDATE child SET parent_id = 5000 + id WHERE id BETWEEN 101 AND 107;");
    runAt(Duration.ofDays(1), yaml);
    AuditResult dayThree = runAt(Duration.ofDays(3).minusSeconds(1), yaml);
    // day 5: 6 more old orphans (rows 41-46 are new on day 5 and do not count)
    target.execute("UPDATE child SET parent_id = 6000 + id WHERE id BETWEEN 41 AND 46");
    AuditResult dayFive = runAt(Duration.ofDays(5), yaml);

    assertThat(Results.violations(dayThree)).isEqualTo(37);
    assertThat(dayThree.keyHistory().orElseThrow().pastGrace()).isEqualTo(30);
    assertThat(dayThree.thresholdBreached()).isFalse();
    assertThat(Results.violations(dayFive)).isEqualTo(43);
    assertThat(dayFive.keyHistory().orElseThrow().pastGrace()).isEqualTo(37);
    assertThat(dayFive.thresholdBreached()).isTrue();
  }

  @Test
  void without_a_store_a_grace_period_cannot_hide_violations() {
    AuditResult result =
        Audits.run(dir, target, null, audit("threshold: {max_age: 2d}"), "", clock).get("aged");

    assertThat(result.keyHistory()).isEqualTo(Optional.empty());
    assertThat(result.thresholdBreached()).isTrue();
  }
}
