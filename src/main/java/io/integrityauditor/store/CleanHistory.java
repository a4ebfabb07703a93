package io.integrityauditor.store;

import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN;

import io.integrityauditor.run.RunStatus;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * How long an audit has been clean, from its run history: what graduating its reference to a real
 * foreign key waits for ({@code suggest --migrations --clean-for}). Only completed runs ({@code ok}
 * or {@code violations}) say anything about the data; a failed or timed-out run says nothing, so it
 * neither breaks nor extends a clean streak.
 *
 * @param auditId the audit
 * @param runs finished runs recorded, of any status
 * @param completed of those, the runs that completed (their counts can be trusted)
 * @param lastViolation start of the latest completed run that found violations, if any
 * @param lastViolations how many violations that run found (0 when there is none)
 * @param cleanSince start of the first completed run without violations after the latest one that
 *     had some (or of the first completed run ever): the start of the current clean streak; empty
 *     when the latest completed run found violations, or none completed
 * @param lastCompleted start of the latest completed run, if any
 */
public record CleanHistory(
    String auditId,
    long runs,
    long completed,
    Optional<Instant> lastViolation,
    long lastViolations,
    Optional<Instant> cleanSince,
    Optional<Instant> lastCompleted) {

  /** The history of each audit named (an audit without runs is there with zero runs). */
  public static Map<String, CleanHistory> of(Store store, Collection<String> auditIds) {
    DSLContext dsl = store.dsl();
    Condition completed =
        AUDIT_RUN.STATUS.in(
            List.of(RunStatus.OK, RunStatus.VIOLATIONS).stream().map(RunStatus::label).toList());
    Condition violating = completed.and(AUDIT_RUN.VIOLATIONS.gt(0L));
    Field<Integer> runs = DSL.count().filterWhere(AUDIT_RUN.FINISHED_AT.isNotNull());
    Field<Integer> completedRuns = DSL.count().filterWhere(completed);
    Field<Instant> lastViolation = DSL.max(AUDIT_RUN.STARTED_AT).filterWhere(violating);
    Field<Instant> lastCompleted = DSL.max(AUDIT_RUN.STARTED_AT).filterWhere(completed);
    Map<String, CleanHistory> histories = new LinkedHashMap<>();
    for (String id : auditIds.stream().distinct().sorted().toList()) {
      histories.put(
          id, new CleanHistory(id, 0, 0, Optional.empty(), 0, Optional.empty(), Optional.empty()));
    }
    if (histories.isEmpty()) {
      return histories;
    }
    for (Record row :
        dsl.select(AUDIT_RUN.AUDIT_ID, runs, completedRuns, lastViolation, lastCompleted)
            .from(AUDIT_RUN)
            .where(AUDIT_RUN.AUDIT_ID.in(histories.keySet()))
            .groupBy(AUDIT_RUN.AUDIT_ID)
            .fetch()) {
      String id = row.get(AUDIT_RUN.AUDIT_ID);
      Optional<Instant> violation = Optional.ofNullable(row.get(lastViolation));
      long violations =
          violation
              .map(
                  at ->
                      dsl.select(DSL.max(AUDIT_RUN.VIOLATIONS))
                          .from(AUDIT_RUN)
                          .where(AUDIT_RUN.AUDIT_ID.eq(id), violating, AUDIT_RUN.STARTED_AT.eq(at))
                          .fetchOne(0, Long.class))
              .orElse(0L);
      // the first clean completed run after the latest violation: where the clean streak starts
      Condition afterViolation =
          violation.map(AUDIT_RUN.STARTED_AT::gt).orElse(DSL.trueCondition());
      Optional<Instant> cleanSince =
          Optional.ofNullable(
              dsl.select(DSL.min(AUDIT_RUN.STARTED_AT))
                  .from(AUDIT_RUN)
                  .where(
                      AUDIT_RUN.AUDIT_ID.eq(id),
                      completed,
                      AUDIT_RUN.VIOLATIONS.eq(0L),
                      afterViolation)
                  .fetchOne(0, Instant.class));
      histories.put(
          id,
          new CleanHistory(
              id,
              row.get(runs),
              row.get(completedRuns),
              violation,
              violations,
              cleanSince,
              Optional.ofNullable(row.get(lastCompleted))));
    }
    return histories;
  }
}
