package io.integrityauditor.store;

import static io.integrityauditor.store.jooq.Tables.ALERT;
import static io.integrityauditor.store.jooq.Tables.ALERT_SAMPLE;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN_SAMPLE;

import io.integrityauditor.Json;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.jooq.tables.records.AlertRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.jooq.Record5;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Alert records. A completed run that breaches its audit's threshold opens an alert (at most one
 * open per audit, enforced by a partial unique index) or updates the open one; a completed run
 * under the threshold resolves it. Runs that did not complete change nothing: a failed audit
 * neither proves nor disproves a violation. Updates happen in the transaction that records the run,
 * so a run and its alert state are never half-written.
 */
public final class AlertStore {
  private static final String OPEN = AlertState.OPEN.label();
  private static final String RESOLVED = AlertState.RESOLVED.label();

  private final DSLContext dsl;
  private final Clock clock;

  public AlertStore(Store store, Clock clock) {
    this.dsl = store.dsl();
    this.clock = clock;
  }

  /**
   * The writes that apply a finished run to the audit's alert, for the caller's batch in the
   * transaction that records the run: none for a run that did not complete. One statement either
   * way (it reads nothing back): a run under the threshold resolves the open alert, if any; a run
   * over it updates the open alert or opens one, and upserts its sample keys, in one statement of
   * data-modifying CTEs (the alert's id flows from the update or the insert to the samples). Three
   * round trips before (a look for the open alert, its update, the samples): a small run's time is
   * mostly round trips to the store (docs/performance.md, "tenth session, incr25").
   */
  static List<Query> onRunFinished(DSLContext tx, long runId, AuditResult result, Instant now) {
    if (!result.status().completed()) {
      return List.of();
    }
    String auditId = result.audit().id();
    var measurement = result.measurement().orElseThrow();
    if (!result.thresholdBreached()) {
      return List.of(
          tx.query(
              "UPDATE "
                  + TABLE
                  + " SET state = ?, resolved_at = ?::timestamptz, resolved_run_id = ?,"
                  + " current_violations = ?, rows_checked = ? WHERE audit_id = ? AND state = ?",
              RESOLVED,
              instant(now),
              runId,
              measurement.violations(),
              measurement.rowsChecked(),
              auditId,
              OPEN));
    }
    // every sample key in one statement (20 statements in a batch cost the server a parse and
    // plan each: docs/performance.md, seventh session). Keys are distinct: one statement may not
    // update a row twice.
    Set<String> keys = new LinkedHashSet<>();
    for (SampleKey key : measurement.samples()) {
      keys.add(Json.write(key.values()));
    }
    String owner = result.audit().owner().orElse(null);
    // the open alert is updated (the unique index on open alerts: at most one), else one is
    // opened; the run holds the audit's lease, so no other run of it opens one meanwhile
    return List.of(
        tx.query(
            "WITH updated AS (UPDATE "
                + TABLE
                + " SET last_seen_at = ?::timestamptz, last_run_id = ?, severity = ?, owner = ?,"
                + " current_violations = ?, max_violations = greatest(max_violations, ?),"
                + " rows_checked = ? WHERE audit_id = ? AND state = ? RETURNING id),"
                + " opened AS (INSERT INTO "
                + TABLE
                + " (audit_id, target, severity, owner, state, opened_at, opened_run_id,"
                + " last_seen_at, last_run_id, current_violations, max_violations, rows_checked)"
                + " SELECT ?, ?, ?, ?, ?, ?::timestamptz, ?, ?::timestamptz, ?, ?, ?, ?"
                + " WHERE NOT EXISTS (SELECT 1 FROM updated) RETURNING id)"
                + " INSERT INTO "
                + SAMPLES
                + " (alert_id, sample_key, first_seen_run_id, last_seen_run_id)"
                + " SELECT a.id, k::jsonb, ?, ? FROM (SELECT id FROM updated UNION ALL SELECT id"
                + " FROM opened) a, unnest(?::text[]) AS k ON CONFLICT (alert_id, sample_key)"
                + " DO UPDATE SET last_seen_run_id = excluded.last_seen_run_id",
            instant(now),
            runId,
            result.audit().severity().label(),
            DSL.val(owner, SQLDataType.CLOB),
            measurement.violations(),
            measurement.violations(),
            measurement.rowsChecked(),
            auditId,
            OPEN,
            auditId,
            result.audit().target(),
            result.audit().severity().label(),
            DSL.val(owner, SQLDataType.CLOB),
            OPEN,
            instant(now),
            runId,
            instant(now),
            runId,
            measurement.violations(),
            measurement.violations(),
            measurement.rowsChecked(),
            runId,
            runId,
            DSL.val(keys.toArray(String[]::new), SQLDataType.CLOB.array())));
  }

  private static final String TABLE = Store.SCHEMA + ".alert";
  private static final String SAMPLES = Store.SCHEMA + ".alert_sample";

  /** A bind value of type timestamptz. */
  private static Object instant(Instant instant) {
    return DSL.val(instant, SQLDataType.INSTANT);
  }

  /** Open alerts (newest first), or all alerts with {@code all}. */
  public List<AlertView> list(boolean all, int limit) {
    Condition which = all ? DSL.noCondition() : ALERT.STATE.eq(OPEN);
    List<AlertView> views = new ArrayList<>();
    for (AlertRecord alert :
        dsl.selectFrom(ALERT)
            .where(which)
            .orderBy(ALERT.STATE.desc(), ALERT.OPENED_AT.desc(), ALERT.ID.desc())
            .limit(limit)
            .fetch()) {
      views.add(view(alert));
    }
    return views;
  }

  public Optional<AlertView> find(long id) {
    return dsl.selectFrom(ALERT).where(ALERT.ID.eq(id)).fetchOptional().map(this::view);
  }

  /** The outcome of an acknowledgement. */
  public enum AckResult {
    ACKNOWLEDGED,
    NOT_FOUND,
    NOT_OPEN
  }

  /**
   * Records who acknowledged an open alert, when, and why.
   *
   * @throws IllegalArgumentException when {@code by} or {@code note} holds a control character
   */
  public AckResult acknowledge(long id, String by, String note) {
    StoreText.check("by", by, false);
    StoreText.check("note", note, true);
    try {
      int updated =
          dsl.update(ALERT)
              .set(ALERT.ACKED_BY, by)
              .set(ALERT.ACKED_AT, clock.instant())
              .set(ALERT.ACK_NOTE, note)
              // what the acknowledgement covers: the alert as its last run left it
              .set(ALERT.ACKED_RUN_ID, ALERT.LAST_RUN_ID)
              .where(ALERT.ID.eq(id))
              .and(ALERT.STATE.eq(OPEN))
              .execute();
      if (updated == 1) {
        return AckResult.ACKNOWLEDGED;
      }
      return dsl.fetchExists(ALERT, ALERT.ID.eq(id)) ? AckResult.NOT_OPEN : AckResult.NOT_FOUND;
    } catch (DataAccessException e) {
      throw new StoreException("cannot acknowledge alert " + id, e);
    }
  }

  /** Deletes resolved alerts resolved before {@code before}; returns how many. */
  public int pruneResolved(Instant before) {
    return dsl.deleteFrom(ALERT)
        .where(ALERT.STATE.eq(RESOLVED))
        .and(ALERT.RESOLVED_AT.lt(before))
        .execute();
  }

  private AlertView view(AlertRecord alert) {
    List<Map<String, String>> fresh = new ArrayList<>();
    List<Map<String, String>> persisting = new ArrayList<>();
    List<Map<String, String>> gone = new ArrayList<>();
    List<Map<String, String>> sinceAck = new ArrayList<>();
    Long ackedRun = alert.getAckedBy() == null ? null : alert.getAckedRunId();
    Long lastRun = alert.getLastRunId();
    var split =
        lastRun == null
            ? Optional.<Record5<Long, Long, Long, Long, String[]>>empty()
            : dsl.select(
                    AUDIT_RUN.NEW_VIOLATIONS,
                    AUDIT_RUN.PERSISTING_VIOLATIONS,
                    AUDIT_RUN.GONE_VIOLATIONS,
                    AUDIT_RUN.BASELINE_VIOLATIONS,
                    AUDIT_RUN.SAMPLE_COLUMNS)
                .from(AUDIT_RUN)
                .where(AUDIT_RUN.ID.eq(lastRun))
                .fetchOptional();
    String[] columns = split.map(r -> r.value5()).orElse(null);
    // in sample order: each key where the run that last saw it showed it (gone keys of the most
    // recent runs first); keys whose run was pruned last
    var shown = AUDIT_RUN_SAMPLE.as("shown");
    for (var sample :
        dsl.select(
                ALERT_SAMPLE.SAMPLE_KEY,
                ALERT_SAMPLE.FIRST_SEEN_RUN_ID,
                ALERT_SAMPLE.LAST_SEEN_RUN_ID)
            .from(ALERT_SAMPLE)
            .leftJoin(shown)
            .on(shown.RUN_ID.eq(ALERT_SAMPLE.LAST_SEEN_RUN_ID))
            .and(shown.SAMPLE_KEY.eq(ALERT_SAMPLE.SAMPLE_KEY))
            .where(ALERT_SAMPLE.ALERT_ID.eq(alert.getId()))
            .orderBy(
                ALERT_SAMPLE.LAST_SEEN_RUN_ID.desc(),
                shown.ORDINAL.asc().nullsLast(),
                ALERT_SAMPLE.SAMPLE_KEY)
            .fetch()) {
      Map<String, String> key = RunStore.parseSample(sample.value1(), columns);
      if (lastRun == null || !sample.value3().equals(lastRun)) {
        gone.add(key);
        continue;
      }
      if (ackedRun != null && sample.value2() > ackedRun) {
        sinceAck.add(key);
      }
      if (sample.value2().equals(lastRun)) {
        fresh.add(key);
      } else {
        persisting.add(key);
      }
    }
    Long baselineViolations = split.map(r -> r.value4()).orElse(null);
    Map<Map<String, String>, Boolean> inBaseline =
        baselineViolations == null
                || baselineViolations == 0
                || columns == null
                || alert.getLastRunId() == null
            ? Map.of()
            // the keys the latest run showed are that run's sample keys
            : SampleBaseline.of(dsl, alert.getAuditId(), alert.getLastRunId(), columns);
    return new AlertView(
        alert.getId(),
        alert.getAuditId(),
        alert.getTarget(),
        alert.getSeverity(),
        alert.getOwner(),
        alert.getState(),
        alert.getOpenedAt(),
        alert.getLastSeenAt(),
        alert.getResolvedAt(),
        alert.getCurrentViolations(),
        alert.getMaxViolations(),
        alert.getRowsChecked(),
        alert.getOpenedRunId(),
        alert.getLastRunId(),
        alert.getResolvedRunId(),
        alert.getAckedBy(),
        alert.getAckedAt(),
        alert.getAckNote(),
        fresh,
        persisting,
        gone,
        split.map(r -> r.value1()).orElse(null),
        split.map(r -> r.value2()).orElse(null),
        split.map(r -> r.value3()).orElse(null),
        baselineViolations,
        shown(fresh, persisting, inBaseline, true),
        shown(fresh, persisting, inBaseline, false),
        ackedRun == null ? null : coverage(alert, ackedRun, sinceAck));
  }

  /** What an acknowledgement taken on run {@code ackedRun} covers, and what broke after it. */
  private AlertView.AckCoverage coverage(
      AlertRecord alert, long ackedRun, List<Map<String, String>> sinceAck) {
    var acked =
        dsl.select(AUDIT_RUN.VIOLATIONS, AUDIT_RUN.BASELINE_VIOLATIONS)
            .from(AUDIT_RUN)
            .where(AUDIT_RUN.ID.eq(ackedRun))
            .fetchOptional();
    long violations =
        acked.map(r -> r.value1()).filter(v -> v != null).orElse(alert.getCurrentViolations());
    Long inBaseline = acked.map(r -> r.value2()).orElse(null);
    // each completed run's new rows, over the runs after the acknowledged one: one unknown split
    // makes the sum unknown
    var later =
        dsl.select(
                DSL.count(), DSL.count(AUDIT_RUN.NEW_VIOLATIONS), DSL.sum(AUDIT_RUN.NEW_VIOLATIONS))
            .from(AUDIT_RUN)
            .where(AUDIT_RUN.AUDIT_ID.eq(alert.getAuditId()))
            .and(AUDIT_RUN.ID.gt(ackedRun))
            .and(AUDIT_RUN.ID.le(alert.getLastRunId()))
            .and(AUDIT_RUN.STATUS.in(RunStatus.OK.label(), RunStatus.VIOLATIONS.label()))
            .fetchOne();
    Long brokeSince =
        later.value1().equals(later.value2())
            ? (later.value3() == null ? 0L : later.value3().longValue())
            : null;
    return new AlertView.AckCoverage(
        ackedRun,
        violations,
        inBaseline == null || inBaseline == 0 ? null : violations - inBaseline,
        brokeSince,
        sinceAck);
  }

  /** The latest run's shown keys whose membership in the baseline is {@code in}, in order. */
  private static List<Map<String, String>> shown(
      List<Map<String, String>> fresh,
      List<Map<String, String>> persisting,
      Map<Map<String, String>, Boolean> inBaseline,
      boolean in) {
    List<Map<String, String>> keys = new ArrayList<>();
    for (List<Map<String, String>> group : List.of(fresh, persisting)) {
      group.stream()
          .filter(key -> Boolean.valueOf(in).equals(inBaseline.get(key)))
          .forEach(keys::add);
    }
    return keys;
  }

  /** The id of each audit's open alert record (at most one per audit), by audit id. */
  public Map<String, Long> openIdsByAudit() {
    Map<String, Long> ids = new LinkedHashMap<>();
    for (var row :
        dsl.select(ALERT.AUDIT_ID, ALERT.ID).from(ALERT).where(ALERT.STATE.eq(OPEN)).fetch()) {
      ids.put(row.value1(), row.value2());
    }
    return ids;
  }

  /** Open alerts per severity: [open, open and not acknowledged]. */
  public Map<String, long[]> openBySeverity() {
    Map<String, long[]> counts = new LinkedHashMap<>();
    for (var row :
        dsl.select(
                ALERT.SEVERITY,
                DSL.count().coerce(Long.class),
                DSL.count().filterWhere(ALERT.ACKED_AT.isNull()).coerce(Long.class))
            .from(ALERT)
            .where(ALERT.STATE.eq(OPEN))
            .groupBy(ALERT.SEVERITY)
            .fetch()) {
      counts.put(row.value1(), new long[] {row.value2(), row.value3()});
    }
    return counts;
  }
}
