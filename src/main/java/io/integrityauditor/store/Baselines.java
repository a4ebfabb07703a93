package io.integrityauditor.store;

import static io.integrityauditor.store.jooq.Tables.AUDIT_BASELINE;
import static io.integrityauditor.store.jooq.Tables.AUDIT_LATEST;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;

/**
 * Baselines: an audit's violating keys accepted as known backlog, with who, when and why, so that a
 * threshold can count only the rows outside it ({@code max_new_violations}). The keys accepted are
 * those of the audit's latest completed run (its key set, kept with the keys' ages in {@link
 * KeyAges}); the baseline then shrinks by itself as its rows are fixed, and a fixed row that breaks
 * again is new.
 */
public final class Baselines {
  private final DSLContext dsl;
  private final Clock clock;

  public Baselines(Store store, Clock clock) {
    this.dsl = store.dsl();
    this.clock = clock;
  }

  /** An audit's baseline as people see it. */
  public record BaselineView(
      String auditId,
      String acceptedBy,
      Instant acceptedAt,
      String note,
      long acceptedViolations,
      Long remainingViolations) {}

  /** What accepting or clearing did for one audit. */
  public record Change(String auditId, Status status, long violations, String message) {
    /** Whether the audit could not be changed as asked (no run, no key set). */
    public static boolean anyRefused(List<Change> changes) {
      return changes.stream()
          .anyMatch(c -> c.status() != Status.ACCEPTED && c.status() != Status.CLEARED);
    }
  }

  public enum Status {
    /** the audit's current violating keys are its baseline now */
    ACCEPTED,
    /** the audit has no baseline any more */
    CLEARED,
    /** no completed run of the audit is recorded */
    NO_RUN,
    /** its latest completed run has no key set to accept (keys not tracked, or over the cap) */
    NOT_TRACKED
  }

  /**
   * Accepts the violating keys of each audit's latest completed run as its baseline, replacing an
   * earlier baseline; empty {@code auditIds}: every audit with a recorded run.
   *
   * @throws IllegalArgumentException when {@code by} is blank or a text holds a control character
   */
  public List<Change> accept(List<String> auditIds, String by, String note) {
    if (by == null || by.isBlank()) {
      throw new IllegalArgumentException("by is required: who accepts the backlog");
    }
    StoreText.check("by", by, false);
    StoreText.check("note", note, true);
    List<Change> changes = new ArrayList<>();
    for (String auditId : auditIds.isEmpty() ? recordedAudits() : auditIds) {
      changes.add(inTransaction(auditId, tx -> accept(tx, auditId, by, note)));
    }
    return changes;
  }

  /** Removes the baselines of {@code auditIds} (empty: all): every violating row counts again. */
  public List<Change> clear(List<String> auditIds) {
    List<String> ids =
        auditIds.isEmpty()
            ? dsl.select(AUDIT_BASELINE.AUDIT_ID)
                .from(AUDIT_BASELINE)
                .fetch(AUDIT_BASELINE.AUDIT_ID)
            : auditIds;
    List<Change> changes = new ArrayList<>();
    for (String auditId : ids) {
      changes.add(inTransaction(auditId, tx -> clear(tx, auditId)));
    }
    return changes;
  }

  /** Every baseline, with how many of its rows still violate at the latest completed run. */
  public List<BaselineView> list() {
    return dsl.select(
            AUDIT_BASELINE.AUDIT_ID,
            AUDIT_BASELINE.ACCEPTED_BY,
            AUDIT_BASELINE.ACCEPTED_AT,
            AUDIT_BASELINE.NOTE,
            AUDIT_BASELINE.ACCEPTED_ROWS,
            AUDIT_LATEST.BASELINE_VIOLATIONS)
        .from(AUDIT_BASELINE)
        .leftJoin(AUDIT_LATEST)
        .on(AUDIT_LATEST.AUDIT_ID.eq(AUDIT_BASELINE.AUDIT_ID))
        .orderBy(AUDIT_BASELINE.AUDIT_ID)
        .fetch(
            r ->
                new BaselineView(
                    r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6()));
  }

  private List<String> recordedAudits() {
    return dsl.select(AUDIT_LATEST.AUDIT_ID)
        .from(AUDIT_LATEST)
        .where(AUDIT_LATEST.LAST_SUCCESS_RUN_ID.isNotNull())
        .orderBy(AUDIT_LATEST.AUDIT_ID)
        .fetch(AUDIT_LATEST.AUDIT_ID);
  }

  private interface Step {
    Change apply(DSLContext tx);
  }

  private Change inTransaction(String auditId, Step step) {
    try {
      return dsl.transactionResult(configuration -> step.apply(configuration.dsl()));
    } catch (DataAccessException e) {
      throw new StoreException("cannot change the baseline of " + auditId, e);
    }
  }

  private Change accept(DSLContext tx, String auditId, String by, String note) {
    // the audit_latest row is locked by a finishing run from before it rewrites the keys' ages
    // until it commits: locking it here orders a baseline change before or after a run, never
    // in the middle
    Optional<Long> lastRun =
        tx.select(AUDIT_LATEST.LAST_SUCCESS_RUN_ID)
            .from(AUDIT_LATEST)
            .where(AUDIT_LATEST.AUDIT_ID.eq(auditId))
            .forUpdate()
            .fetchOptional(AUDIT_LATEST.LAST_SUCCESS_RUN_ID);
    if (lastRun.isEmpty() || lastRun.get() == null) {
      return new Change(
          auditId,
          Status.NO_RUN,
          0,
          "no completed run of "
              + auditId
              + " is recorded: run it (`check --audit "
              + auditId
              + "` with a store, or `trigger "
              + auditId
              + "`), then accept its keys");
    }
    var run =
        tx.select(AUDIT_RUN.KEY_TRACKING, AUDIT_RUN.VIOLATIONS)
            .from(AUDIT_RUN)
            .where(AUDIT_RUN.ID.eq(lastRun.get()))
            .fetchOne();
    String tracking = run == null ? null : run.value1();
    if (tracking == null || !(tracking.equals("exact") || tracking.equals("first"))) {
      return new Change(
          auditId,
          Status.NOT_TRACKED,
          0,
          "the latest completed run of "
              + auditId
              + " has no key set to accept ("
              + (tracking == null
                  ? "its keys are not tracked: a kind without keys, or track_keys: 0"
                  : KeySets.describe(tracking))
              + "); raise track_keys or run it again, then accept");
    }
    long violations = run.value2();
    KeyAges.setBaseline(tx, auditId, true);
    Instant now = clock.instant();
    tx.insertInto(AUDIT_BASELINE)
        .set(AUDIT_BASELINE.AUDIT_ID, auditId)
        .set(AUDIT_BASELINE.ACCEPTED_BY, by)
        .set(AUDIT_BASELINE.ACCEPTED_AT, now)
        .set(AUDIT_BASELINE.NOTE, note)
        .set(AUDIT_BASELINE.ACCEPTED_ROWS, violations)
        .onConflict(AUDIT_BASELINE.AUDIT_ID)
        .doUpdate()
        .set(AUDIT_BASELINE.ACCEPTED_BY, by)
        .set(AUDIT_BASELINE.ACCEPTED_AT, now)
        .set(AUDIT_BASELINE.NOTE, note)
        .set(AUDIT_BASELINE.ACCEPTED_ROWS, violations)
        .execute();
    tx.update(AUDIT_LATEST)
        .set(AUDIT_LATEST.BASELINE_VIOLATIONS, violations)
        .where(AUDIT_LATEST.AUDIT_ID.eq(auditId))
        .execute();
    return new Change(
        auditId,
        Status.ACCEPTED,
        violations,
        violations
            + " violating rows of "
            + auditId
            + " accepted as its baseline; from its next run on, max_new_violations counts only"
            + " the rows outside it");
  }

  private Change clear(DSLContext tx, String auditId) {
    tx.select(AUDIT_LATEST.AUDIT_ID)
        .from(AUDIT_LATEST)
        .where(AUDIT_LATEST.AUDIT_ID.eq(auditId))
        .forUpdate()
        .fetch();
    KeyAges.setBaseline(tx, auditId, false);
    int removed =
        tx.deleteFrom(AUDIT_BASELINE).where(AUDIT_BASELINE.AUDIT_ID.eq(auditId)).execute();
    tx.update(AUDIT_LATEST)
        .set(AUDIT_LATEST.BASELINE_VIOLATIONS, 0L)
        .where(AUDIT_LATEST.AUDIT_ID.eq(auditId))
        .and(AUDIT_LATEST.BASELINE_VIOLATIONS.isNotNull())
        .execute();
    return new Change(
        auditId,
        Status.CLEARED,
        0,
        removed == 0
            ? auditId + " had no baseline"
            : "baseline of " + auditId + " cleared: every violating row counts again");
  }
}
