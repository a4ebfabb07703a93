package io.integrityauditor.store;

import io.integrityauditor.config.Durations;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.KeyHistory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * When each open violating key of an audit was first seen, and whether it is in the audit's
 * baseline (migration V10): the key set of the latest completed run that tracked its keys, carried
 * forward in the store's SQL when a run finishes. A key still violating keeps its first-seen time
 * and baseline flag; a key that is not violating any more drops out, so when it breaks again it is
 * new. Never all keys in the worker's heap: the worker gets sums.
 */
final class KeyAges {
  static final String TABLE = Store.SCHEMA + ".violation_age";

  /** Ages that {@code violations_older_than} counts, in order (the gauges' bucket labels). */
  static final List<Duration> OLDER_THAN =
      LatestResult.OLDER_THAN.stream().map(age -> Durations.parse(age).orElseThrow()).toList();

  /** About this many fingerprints per array, like violation_key's batches. */
  private static final long KEYS_PER_ARRAY = 8_192;

  private KeyAges() {}

  /**
   * Carries the ages and baseline flags over to the key set of finishing run {@code runId}
   * (complete in {@code violation_key}), replaces the audit's previous ones, and sums them for the
   * run. In the transaction that finishes the run.
   *
   * @param violations the run's violating rows (sizes the arrays)
   */
  static KeyHistory carryOver(DSLContext tx, long runId, AuditResult result, long violations) {
    String auditId = result.audit().id();
    Instant started = result.startedAt();
    Optional<Instant> cutoff = result.audit().threshold().maxAge().map(started::minus);
    // arrays of about KEYS_PER_ARRAY keys, bucketed by the fingerprint's top bits: fingerprints
    // are hashes, so the buckets are even, and building them needs no sort
    int bits = 0;
    while (bits < 20 && (violations >> bits) > KEYS_PER_ARRAY) {
      bits++;
    }
    String bucket = bits == 0 ? "0" : "(fp >> " + (64 - bits) + ")::integer";
    String open =
        "WITH cur AS (SELECT u.fp, sum(coalesce(u.w, 1))::bigint AS w FROM "
            + Store.SCHEMA
            + ".violation_key k, unnest(k.fingerprints, k.weights) AS u(fp, w)"
            + " WHERE k.run_id = ? GROUP BY u.fp),"
            + " aged AS (SELECT u.fp, a.first_seen, a.baseline FROM "
            + TABLE
            + " a, unnest(a.fingerprints) AS u(fp) WHERE a.audit_id = ?),"
            + " now_open AS MATERIALIZED (SELECT cur.fp, cur.w,"
            + " coalesce(aged.first_seen, ?::timestamptz) AS first_seen,"
            + " coalesce(aged.baseline, false) AS baseline"
            + " FROM cur LEFT JOIN aged ON aged.fp = cur.fp),"
            + " written AS (INSERT INTO "
            + TABLE
            + " (audit_id, run_id, first_seen, baseline, bucket, fingerprints)"
            + " SELECT ?, ?, first_seen, baseline, "
            + bucket
            + " AS bucket, array_agg(fp) FROM now_open GROUP BY 3, 4, 5)";
    StringBuilder select =
        new StringBuilder(
            " SELECT coalesce(sum(w) FILTER (WHERE baseline), 0)::bigint AS baseline_rows,"
                + " min(first_seen) AS oldest,"
                + " coalesce(sum(w) FILTER (WHERE ?::timestamptz IS NULL OR first_seen <= ?::timestamptz),"
                + " 0)::bigint AS past_grace,"
                + " coalesce(sum(w) FILTER (WHERE (?::timestamptz IS NULL OR first_seen <= ?::timestamptz)"
                + " AND NOT baseline), 0)::bigint AS past_grace_new");
    for (int i = 0; i < OLDER_THAN.size(); i++) {
      select.append(
          ", coalesce(sum(w) FILTER (WHERE first_seen <= ?::timestamptz), 0)::bigint AS older_"
              + i);
    }
    select.append(" FROM now_open");
    Object[] binds = new Object[9 + OLDER_THAN.size()];
    binds[0] = runId;
    binds[1] = auditId;
    binds[2] = instant(started);
    binds[3] = auditId;
    binds[4] = runId;
    binds[5] = instant(cutoff.orElse(null));
    binds[6] = instant(cutoff.orElse(null));
    binds[7] = instant(cutoff.orElse(null));
    binds[8] = instant(cutoff.orElse(null));
    Long[] olderThan = new Long[OLDER_THAN.size()];
    for (int i = 0; i < OLDER_THAN.size(); i++) {
      binds[9 + i] = instant(started.minus(OLDER_THAN.get(i)));
    }
    // The planner estimates 10 keys per array row, so it sees a few hundred keys on each side
    // and may pick a nested loop that rescans the old set once per new key (quadratic with a
    // million keys); a hash join is linear. Only this statement is steered. (It is not what
    // makes this statement slow at a million keys: that is measured in docs/performance.md.)
    tx.execute("SET LOCAL enable_nestloop = off");
    Record row = tx.fetchOne(open + select, binds);
    tx.execute("RESET enable_nestloop");
    for (int i = 0; i < OLDER_THAN.size(); i++) {
      olderThan[i] = row.get("older_" + i, Long.class);
    }
    tx.execute("DELETE FROM " + TABLE + " WHERE audit_id = ? AND run_id <> ?", auditId, runId);
    KeyHistory history =
        new KeyHistory(
            row.get("baseline_rows", Long.class),
            Optional.ofNullable(row.get("oldest", Instant.class)),
            row.get("past_grace", Long.class),
            row.get("past_grace_new", Long.class));
    tx.execute(
        "UPDATE "
            + Store.SCHEMA
            + ".audit_run SET baseline_violations = ?, oldest_violation_since = ?::timestamptz WHERE id = ?",
        history.baselineRows(),
        instant(history.oldestSince().orElse(null)),
        runId);
    double oldestAge =
        history
            .oldestSince()
            .map(since -> Duration.between(since, started).toMillis() / 1000.0)
            .orElse(0.0);
    recordLatest(tx, auditId, history.baselineRows(), history.oldestSince(), oldestAge, olderThan);
    return history;
  }

  /** The audit's run has no key set to age (not tracked, or unknown): nothing to show. */
  static void unknown(DSLContext tx, String auditId) {
    recordLatest(tx, auditId, null, Optional.empty(), null, null);
  }

  /** Keys are not tracked any more (track_keys: 0, a kind without keys): forget their ages. */
  static void forget(DSLContext tx, String auditId) {
    tx.execute("DELETE FROM " + TABLE + " WHERE audit_id = ?", auditId);
    unknown(tx, auditId);
  }

  private static void recordLatest(
      DSLContext tx,
      String auditId,
      Long baselineRows,
      Optional<Instant> oldest,
      Double oldestAgeSeconds,
      Long[] olderThan) {
    tx.execute(
        "UPDATE "
            + Store.SCHEMA
            + ".audit_latest SET baseline_violations = ?, oldest_violation_since = ?::timestamptz,"
            + " oldest_violation_age_seconds = ?::double precision,"
            + " violations_older_than = ?::bigint[] WHERE audit_id = ?",
        baselineRows,
        instant(oldest.orElse(null)),
        DSL.val(oldestAgeSeconds, SQLDataType.DOUBLE),
        DSL.val(olderThan, SQLDataType.BIGINT.array()),
        auditId);
  }

  /** A bind value of type timestamptz, also when null. */
  private static Object instant(Instant instant) {
    return DSL.val(instant, SQLDataType.INSTANT);
  }
}
