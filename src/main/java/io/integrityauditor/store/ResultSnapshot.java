package io.integrityauditor.store;

import static io.integrityauditor.store.jooq.Tables.AUDIT_LATEST;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN_TOTAL;
import static io.integrityauditor.store.jooq.Tables.AUDIT_SKIP_TOTAL;

import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.jooq.tables.records.AuditLatestRecord;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * What the metrics export, read from the store in a few small queries: the latest result of every
 * audit, run totals, open alerts, and when each audit was first scheduled. Immutable.
 *
 * @param latest by audit id
 * @param totals by audit id, then status
 * @param skipped skipped fire times by audit id, then reason
 * @param openAlerts by severity: [open, open and unacknowledged]
 * @param scheduleStart by audit id: when its Quartz trigger was created (epoch millis)
 * @param openAlertIds by audit id: the id of its open alert record, if it has one
 * @param readAt when this was read
 */
public record ResultSnapshot(
    Map<String, LatestResult> latest,
    Map<String, Map<String, Long>> totals,
    Map<String, Map<String, Long>> skipped,
    Map<String, long[]> openAlerts,
    Map<String, Long> scheduleStart,
    Map<String, Long> openAlertIds,
    Instant readAt) {

  public static final ResultSnapshot EMPTY =
      new ResultSnapshot(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Instant.EPOCH);

  public ResultSnapshot {
    latest = Map.copyOf(latest);
    totals = Map.copyOf(totals);
    skipped = Map.copyOf(skipped);
    openAlerts = Map.copyOf(openAlerts);
    scheduleStart = Map.copyOf(scheduleStart);
    openAlertIds = Map.copyOf(openAlertIds);
  }

  /** Whether {@code other} holds the same results (whenever it was read). */
  public boolean sameResultsAs(ResultSnapshot other) {
    if (!latest.equals(other.latest)
        || !totals.equals(other.totals)
        || !skipped.equals(other.skipped)
        || !scheduleStart.equals(other.scheduleStart)
        || !openAlertIds.equals(other.openAlertIds)
        || !openAlerts.keySet().equals(other.openAlerts.keySet())) {
      return false;
    }
    for (var entry : openAlerts.entrySet()) {
      if (!Arrays.equals(entry.getValue(), other.openAlerts.get(entry.getKey()))) {
        return false;
      }
    }
    return true;
  }

  public Optional<LatestResult> latest(String auditId) {
    return Optional.ofNullable(latest.get(auditId));
  }

  public long total(String auditId, RunStatus status) {
    return totals.getOrDefault(auditId, Map.of()).getOrDefault(status.label(), 0L);
  }

  public long skipped(String auditId, SkipReason reason) {
    return skipped.getOrDefault(auditId, Map.of()).getOrDefault(reason.label(), 0L);
  }

  /**
   * Reads a snapshot; the caller decides what a failure means (store down).
   *
   * @param scheduleStart by audit id, when its trigger was created (read by the scheduler's side:
   *     Quartz owns that table)
   */
  public static ResultSnapshot read(
      Store store, AlertStore alerts, Map<String, Long> scheduleStart) {
    DSLContext dsl = store.dsl();
    Map<String, LatestResult> latest = new HashMap<>();
    for (AuditLatestRecord record : dsl.selectFrom(AUDIT_LATEST).fetch()) {
      latest.put(record.getAuditId(), latestResult(record));
    }
    Map<String, Map<String, Long>> totals = new HashMap<>();
    for (var total : dsl.selectFrom(AUDIT_RUN_TOTAL).fetch()) {
      totals
          .computeIfAbsent(total.getAuditId(), id -> new HashMap<>())
          .put(total.getStatus(), total.getRuns());
    }
    Map<String, Map<String, Long>> skipped = new HashMap<>();
    for (var total : dsl.selectFrom(AUDIT_SKIP_TOTAL).fetch()) {
      skipped
          .computeIfAbsent(total.getAuditId(), id -> new HashMap<>())
          .put(total.getReason(), total.getSkipped());
    }
    return new ResultSnapshot(
        latest,
        totals,
        skipped,
        alerts.openBySeverity(),
        scheduleStart,
        alerts.openIdsByAudit(),
        Instant.now());
  }

  private static LatestResult latestResult(AuditLatestRecord record) {
    return new LatestResult(
        record.getAuditId(),
        RunStatus.fromLabel(record.getLastStatus()),
        record.getLastFinishedAt(),
        record.getLastDurationMs(),
        record.getLastSuccessAt(),
        record.getViolations(),
        record.getRowsChecked(),
        record.getThresholdBreached(),
        record.getConsecutiveFailures(),
        record.getLastMode() == null ? null : RunInfo.Mode.fromLabel(record.getLastMode()),
        record.getLastFullSuccessAt(),
        record.getNewViolations(),
        record.getGoneViolations(),
        record.getBaselineViolations(),
        record.getOldestViolationAgeSeconds(),
        record.getViolationsOlderThan() == null
            ? null
            : Arrays.asList(record.getViolationsOlderThan()));
  }
}
