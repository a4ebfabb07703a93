package io.integrityauditor.store;

import static io.integrityauditor.store.jooq.Tables.AUDIT_LATEST;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN_SAMPLE;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN_TOTAL;
import static io.integrityauditor.store.jooq.Tables.AUDIT_SKIP_TOTAL;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.integrityauditor.Json;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.KeyHistory;
import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.jooq.tables.records.AuditRunRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Query;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Run history. A run is first recorded as {@code running} (keyed by audit and scheduled fire time,
 * so a second execution of the same fire time is refused), then finished with its result and
 * samples in one transaction: after a crash there is either a running row (later marked
 * interrupted, after which a recovering node may record a new attempt for the same fire time) or a
 * complete one, never half a result.
 */
public final class RunStore {
  /**
   * The status of a run in progress. Not a {@code RunStatus}: that is how a run ended, and the
   * metrics and alerts iterate over it.
   */
  static final String RUNNING = "running";

  static final String INTERRUPTED = RunStatus.INTERRUPTED.label();

  /** The error class of a run whose node stopped, or lost the audit's lease, before it ended. */
  private static final String NODE_LOST = "node_lost";

  /** A fire time that was not run (the reason is in {@code error_class}); never a result. */
  public static final String SKIPPED = "skipped";

  private static final int PRUNE_BATCH = 5_000;

  private static final TypeReference<LinkedHashMap<String, String>> SAMPLE_TYPE =
      new TypeReference<>() {};

  private final DSLContext dsl;
  private final String nodeId;
  private final Clock clock;

  public RunStore(Store store, String nodeId, Clock clock) {
    this(store.dsl(), nodeId, clock);
  }

  /** Over a DSL of the store's (a test counts the queries it issues). */
  RunStore(DSLContext dsl, String nodeId, Clock clock) {
    this.dsl = dsl;
    this.nodeId = nodeId;
    this.clock = clock;
  }

  /**
   * Records the start of a run. Empty when this (audit, fire time) already has a run: the caller
   * must not run it again.
   */
  public Optional<Long> begin(Audit audit, RunTrigger trigger, Instant scheduledFireTime) {
    try {
      return dsl.insertInto(AUDIT_RUN)
          .set(AUDIT_RUN.AUDIT_ID, audit.id())
          .set(AUDIT_RUN.TARGET, audit.target())
          .set(AUDIT_RUN.KIND, audit.kind())
          .set(AUDIT_RUN.SEVERITY, audit.severity().label())
          .set(AUDIT_RUN.TRIGGER_TYPE, trigger.label())
          // Stored at millisecond precision, as Quartz keeps fire times: the same fire time
          // always maps to the same key.
          .set(AUDIT_RUN.SCHEDULED_FIRE_TIME, scheduledFireTime.truncatedTo(ChronoUnit.MILLIS))
          .set(AUDIT_RUN.STARTED_AT, clock.instant())
          .set(AUDIT_RUN.STATUS, RUNNING)
          .set(AUDIT_RUN.NODE_ID, nodeId)
          .onConflict(AUDIT_RUN.AUDIT_ID, AUDIT_RUN.SCHEDULED_FIRE_TIME)
          .where(AUDIT_RUN.STATUS.ne(INTERRUPTED))
          .doNothing()
          .returning(AUDIT_RUN.ID)
          .fetchOptional()
          .map(AuditRunRecord::getId);
    } catch (DataAccessException e) {
      throw new StoreException("cannot record the start of audit " + audit.id(), e);
    }
  }

  /**
   * Completes a run begun with {@link #begin}: status, counts, error and samples, atomically.
   *
   * @return the result with what the store knows of its violating keys (baseline, ages), the
   *     threshold decided on them
   */
  public AuditResult finish(long runId, AuditResult given) {
    try {
      try {
        return dsl.transactionResult(
            configuration -> finish(configuration.dsl(), runId, given, Completion.AT_ONCE));
      } catch (NotRunning e) {
        // rolled back: the run was not 'running' (rare), so its counts were not to be written
        return dsl.transactionResult(
            configuration -> finish(configuration.dsl(), runId, given, Completion.CHECKED));
      }
    } catch (DataAccessException e) {
      throw new StoreException("cannot record the result of run " + runId, e);
    }
  }

  /** How {@link #finish} completes the run's row. */
  private enum Completion {
    /**
     * With the run's counted total and the latest result, in one round trip (the common case: the
     * run is still 'running'); {@link NotRunning} when it was not, which rolls the transaction
     * back.
     */
    AT_ONCE,
    /** First, alone, and only then the rest: a run of ours that the store lost track of. */
    CHECKED
  }

  /** The run was not 'running' when its result came: its transaction rolls back. */
  private static final class NotRunning extends RuntimeException {
    NotRunning() {
      super(null, null, false, false);
    }
  }

  private AuditResult finish(DSLContext tx, long runId, AuditResult given, Completion completion) {
    AuditResult result = given;
    RunStatus status = result.status();
    Instant now = clock.instant();
    if (completion == Completion.AT_ONCE) {
      // writes whose results the run does not read go in one batch (one round trip each batch: a
      // small run's time is mostly round trips to the store, docs/performance.md), the run's row
      // first: whether it was still 'running' is its count
      int[] counts =
          tx.batch(
                  complete(tx, runId, result),
                  countRun(tx, result.audit().id(), status.label(), 1),
                  recordLatest(tx, runId, result, now))
              .execute();
      if (counts[0] == 0) {
        throw new NotRunning();
      }
    } else {
      // Only when the run is not 'running', a run of ours that the store lost track of (our lease
      // session died in a store outage and a sweeper marked it interrupted) is still ours to
      // complete, unless a peer already re-ran that fire time (then the unique index keeps the
      // peer's): reclaimed, then completed.
      int updated = complete(tx, runId, result).execute();
      if (updated == 0 && result.status().completed() && reclaim(tx, runId, result)) {
        countRun(tx, result.audit().id(), INTERRUPTED, -1).execute();
        updated = complete(tx, runId, result).execute();
      }
      if (updated == 0) {
        // already finished (e.g. marked interrupted by a peer): keep that record
        return result;
      }
      tx.batch(
              countRun(tx, result.audit().id(), status.label(), 1),
              recordLatest(tx, runId, result, now))
          .execute();
    }
    // an incremental run's key set adds its increment to the set of the run that last moved the
    // watermark (read in the key set's first statement, before this run moves it); other modes
    // carry nothing
    // what reads nothing back goes in one batch at the end, the key set's writes first
    List<Query> last = new ArrayList<>();
    Optional<KeyHistory> history =
        KeySets.onRunFinished(
            tx,
            runId,
            result,
            result.info().mode() == RunInfo.Mode.INCREMENTAL,
            result.audit().execution().trackKeys(),
            last);
    boolean written = result.thresholdBreached();
    if (history.isPresent()) {
      // a grace period or a baseline decides the breach on the keys' history
      result = result.withKeyHistory(history.get());
    }
    boolean breached = result.thresholdBreached();
    // the run's row and the latest were written with the breach decided on the count: only a
    // history that decides otherwise writes it again
    if (history.isPresent() && (breached != written || !status.completed())) {
      last.add(
          tx.update(AUDIT_RUN)
              .set(AUDIT_RUN.THRESHOLD_BREACHED, breached)
              .where(AUDIT_RUN.ID.eq(runId)));
      last.add(
          tx.update(AUDIT_LATEST)
              .set(AUDIT_LATEST.THRESHOLD_BREACHED, breached)
              .where(AUDIT_LATEST.AUDIT_ID.eq(result.audit().id())));
    }
    // an incremental audit's watermark moves with its result, atomically: a run recorded without
    // it (or the reverse) would re-check or skip rows
    if (status.completed()) {
      AuditResult recorded = result;
      recorded
          .info()
          .watermark()
          .ifPresent(state -> last.add(ChunkStore.saveWatermark(tx, runId, state, now)));
    }
    List<SampleKey> samples = result.measurement().map(m -> m.samples()).orElse(List.of());
    if (!samples.isEmpty()) {
      var insert =
          tx.insertInto(AUDIT_RUN_SAMPLE)
              .columns(
                  AUDIT_RUN_SAMPLE.RUN_ID, AUDIT_RUN_SAMPLE.ORDINAL, AUDIT_RUN_SAMPLE.SAMPLE_KEY);
      for (int i = 0; i < samples.size(); i++) {
        insert = insert.values(runId, i, JSONB.valueOf(Json.write(samples.get(i).values())));
      }
      last.add(insert);
    }
    // the alert reads neither the breach flags, the watermark nor the run's samples, and the
    // batch reads nothing back: the alert's writes travel with them
    last.addAll(AlertStore.onRunFinished(tx, runId, result, now));
    if (!last.isEmpty()) {
      tx.batch(last).execute();
    }
    if (history.isPresent() && history.get().baselineRows() > 0 && !samples.isEmpty()) {
      // which sample keys are backlog: read back from the key set just written
      Map<Map<String, String>, Boolean> in =
          SampleBaseline.of(tx, result.audit().id(), runId, sampleColumns(result));
      result =
          result.withKeyHistory(
              history
                  .get()
                  .withSampleInBaseline(
                      samples.stream().map(sample -> in.get(sample.values())).toList()));
    }
    return result;
  }

  /** The sample keys' column names in key order (V17); null without samples. */
  private static String[] sampleColumns(AuditResult result) {
    return result
        .measurement()
        .filter(m -> !m.samples().isEmpty())
        .map(m -> m.samples().get(0).values().keySet().toArray(String[]::new))
        .orElse(null);
  }

  /** Records the result on a run still 'running' (the count it changes: 0 or 1). */
  private Query complete(DSLContext tx, long runId, AuditResult result) {
    RunStatus status = result.status();
    return tx.update(AUDIT_RUN)
        .set(AUDIT_RUN.STATUS, status.label())
        .set(AUDIT_RUN.FINISHED_AT, clock.instant())
        .set(AUDIT_RUN.STARTED_AT, result.startedAt())
        .set(AUDIT_RUN.DURATION_MS, result.duration().toMillis())
        .set(AUDIT_RUN.ATTEMPTS, result.attempts())
        .set(AUDIT_RUN.MODE, result.info().mode().label())
        .set(AUDIT_RUN.CHUNKS, result.info().chunks() == 0 ? null : result.info().chunks())
        .set(
            AUDIT_RUN.CHUNK_NODES,
            result.info().chunkNodes() == 0 ? null : result.info().chunkNodes())
        .set(
            AUDIT_RUN.SCANNED_ROWS,
            status.completed() ? result.info().scannedRows().orElse(null) : null)
        .set(AUDIT_RUN.WATERMARK_FROM, result.info().watermarkFrom().orElse(null))
        .set(AUDIT_RUN.WATERMARK_TO, result.info().watermarkTo().orElse(null))
        .set(AUDIT_RUN.VIOLATIONS, result.measurement().map(m -> m.violations()).orElse(null))
        .set(AUDIT_RUN.ROWS_CHECKED, result.measurement().map(m -> m.rowsChecked()).orElse(null))
        .set(AUDIT_RUN.SAMPLE_COLUMNS, sampleColumns(result))
        .set(AUDIT_RUN.THRESHOLD_BREACHED, status.completed() ? result.thresholdBreached() : null)
        .set(AUDIT_RUN.ERROR_CLASS, result.error().map(e -> e.errorClass()).orElse(null))
        .set(
            AUDIT_RUN.ERROR_MESSAGE,
            result.error().map(e -> Redactor.redact(e.message())).orElse(null))
        .where(AUDIT_RUN.ID.eq(runId))
        .and(AUDIT_RUN.STATUS.eq(RUNNING));
  }

  /**
   * Takes back a run of this node marked interrupted because its node seemed lost (its lease
   * session died in a store outage) when no peer has re-run that fire time: 'running' again.
   */
  private boolean reclaim(DSLContext tx, long runId, AuditResult result) {
    return tx.update(AUDIT_RUN)
            .set(AUDIT_RUN.STATUS, RUNNING)
            .set(AUDIT_RUN.FINISHED_AT, (Instant) null)
            .set(AUDIT_RUN.ERROR_CLASS, (String) null)
            .set(AUDIT_RUN.ERROR_MESSAGE, (String) null)
            .where(AUDIT_RUN.ID.eq(runId))
            .and(AUDIT_RUN.STATUS.eq(INTERRUPTED))
            .and(AUDIT_RUN.ERROR_CLASS.eq(NODE_LOST))
            .and(AUDIT_RUN.NODE_ID.eq(nodeId))
            .andNotExists(
                DSL.selectOne()
                    .from(AUDIT_RUN.as("peer"))
                    .where(AUDIT_RUN.as("peer").AUDIT_ID.eq(result.audit().id()))
                    .and(
                        AUDIT_RUN
                            .as("peer")
                            .SCHEDULED_FIRE_TIME
                            .eq(
                                DSL.select(AUDIT_RUN.SCHEDULED_FIRE_TIME)
                                    .from(AUDIT_RUN)
                                    .where(AUDIT_RUN.ID.eq(runId))))
                    .and(AUDIT_RUN.as("peer").STATUS.ne(INTERRUPTED)))
            .execute()
        == 1;
  }

  /**
   * Records scheduled fire times of {@code audit} that are not run, one {@code skipped} row each
   * (no counts: a skipped fire time is never a result), and counts them by reason, in one
   * transaction. A fire time that already has a run keeps it.
   *
   * @param notRecorded skipped fire times beyond {@code fireTimes} that are counted but get no row
   *     of their own (a very short interval overrun for very long)
   * @return how many rows were added
   */
  public int recordSkipped(
      Audit audit, List<Instant> fireTimes, long notRecorded, SkipReason reason, String message) {
    if (fireTimes.isEmpty() && notRecorded == 0) {
      return 0;
    }
    try {
      return dsl.transactionResult(
          configuration -> {
            DSLContext tx = configuration.dsl();
            Instant now = clock.instant();
            int added = 0;
            if (!fireTimes.isEmpty()) {
              var insert =
                  tx.insertInto(
                      AUDIT_RUN,
                      AUDIT_RUN.AUDIT_ID,
                      AUDIT_RUN.TARGET,
                      AUDIT_RUN.KIND,
                      AUDIT_RUN.SEVERITY,
                      AUDIT_RUN.TRIGGER_TYPE,
                      AUDIT_RUN.SCHEDULED_FIRE_TIME,
                      AUDIT_RUN.STARTED_AT,
                      AUDIT_RUN.FINISHED_AT,
                      AUDIT_RUN.STATUS,
                      AUDIT_RUN.ERROR_CLASS,
                      AUDIT_RUN.ERROR_MESSAGE,
                      AUDIT_RUN.NODE_ID);
              for (Instant fireTime : fireTimes) {
                insert =
                    insert.values(
                        audit.id(),
                        audit.target(),
                        audit.kind(),
                        audit.severity().label(),
                        RunTrigger.SCHEDULE.label(),
                        fireTime.truncatedTo(ChronoUnit.MILLIS),
                        now,
                        now,
                        SKIPPED,
                        reason.label(),
                        message,
                        nodeId);
              }
              added =
                  insert
                      .onConflict(AUDIT_RUN.AUDIT_ID, AUDIT_RUN.SCHEDULED_FIRE_TIME)
                      .where(AUDIT_RUN.STATUS.ne(INTERRUPTED))
                      .doNothing()
                      .execute();
            }
            long counted = added + notRecorded;
            if (counted > 0) {
              tx.insertInto(AUDIT_SKIP_TOTAL)
                  .set(AUDIT_SKIP_TOTAL.AUDIT_ID, audit.id())
                  .set(AUDIT_SKIP_TOTAL.REASON, reason.label())
                  .set(AUDIT_SKIP_TOTAL.SKIPPED, counted)
                  .onConflict(AUDIT_SKIP_TOTAL.AUDIT_ID, AUDIT_SKIP_TOTAL.REASON)
                  .doUpdate()
                  .set(AUDIT_SKIP_TOTAL.SKIPPED, AUDIT_SKIP_TOTAL.SKIPPED.plus(counted))
                  .execute();
            }
            return added;
          });
    } catch (DataAccessException e) {
      throw new StoreException("cannot record the skipped fire times of " + audit.id(), e);
    }
  }

  /**
   * What the holder of an audit's lease finds, before a run, of runs of it whose node stopped or
   * lost the lease.
   *
   * @param marked runs left 'running' by such a node, marked interrupted now
   * @param lostRecently a run of it marked interrupted (by a sweeper or a run before) within the
   *     window given to {@link #start}
   */
  public record Abandoned(int marked, boolean lostRecently) {
    /**
     * Whether a node that lost the audit may still have a query of it running on the target: only a
     * run left 'running' by its node, or marked so not long ago, leaves one. Without either, the
     * target needs no look for them.
     */
    public boolean mayHaveLeftQueries() {
      return marked > 0 || lostRecently;
    }
  }

  /**
   * What {@link #start} found and did.
   *
   * @param abandoned runs of the audit whose node stopped: those left 'running', marked interrupted
   *     now, and whether one marked before may still have a query running
   * @param runId the run begun, as {@link #begin} returns it: empty when this (audit, fire time)
   *     already has a run
   */
  public record Started(Abandoned abandoned, Optional<Long> runId) {}

  /**
   * Before a run, under the audit's lease: marks runs of it left 'running' as interrupted ({@link
   * #interruptAbandoned}), says whether a node that lost the audit may still have a query of it
   * running, and records the run's start as {@link #begin} does. One statement when there is
   * nothing to mark (nearly always): the transaction that marks them, then the insert, only when a
   * run was left. A run's fixed cost is mostly round trips to the store (docs/performance.md,
   * "tenth session, incr25").
   *
   * @param queriesOutlive how long a query of a run may go on after its node lost the lease (the
   *     audit's timeouts and retries): a run marked longer ago than this left no query running
   */
  public Started start(
      Audit audit,
      RunTrigger trigger,
      Instant scheduledFireTime,
      String reason,
      Duration queriesOutlive) {
    Instant now = clock.instant();
    Record found;
    try {
      found =
          dsl.fetchSingle(
              "WITH found AS (SELECT EXISTS (SELECT 1 FROM "
                  + RUNS
                  + " WHERE audit_id = ? AND finished_at IS NULL AND status = ?) AS left_running,"
                  + " EXISTS (SELECT 1 FROM "
                  + RUNS
                  + " WHERE audit_id = ? AND finished_at > ?::timestamptz AND status = ?"
                  + " AND error_class = ?) AS lost),"
                  + " begun AS (INSERT INTO "
                  + RUNS
                  + " (audit_id, target, kind, severity, trigger_type, scheduled_fire_time,"
                  + " started_at, status, node_id)"
                  + " SELECT ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?, ? FROM found"
                  + " WHERE NOT left_running"
                  // the partial unique index's predicate as a constant: a parameter here cannot
                  // be matched to the index once the statement is prepared
                  + " ON CONFLICT (audit_id, scheduled_fire_time) WHERE status <> '"
                  + INTERRUPTED
                  + "' DO NOTHING"
                  + " RETURNING id)"
                  + " SELECT left_running, lost, (SELECT id FROM begun) FROM found",
              audit.id(),
              RUNNING,
              audit.id(),
              instant(now.minus(queriesOutlive)),
              INTERRUPTED,
              NODE_LOST,
              audit.id(),
              audit.target(),
              audit.kind(),
              audit.severity().label(),
              trigger.label(),
              // at millisecond precision, as begin writes it
              instant(scheduledFireTime.truncatedTo(ChronoUnit.MILLIS)),
              instant(now),
              RUNNING,
              nodeId);
    } catch (DataAccessException e) {
      throw new StoreException("cannot record the start of audit " + audit.id(), e);
    }
    boolean leftRunning = found.get(0, Boolean.class);
    boolean lost = found.get(1, Boolean.class);
    if (!leftRunning) {
      return new Started(new Abandoned(0, lost), Optional.ofNullable(found.get(2, Long.class)));
    }
    int marked = interruptAbandoned(audit.id(), reason);
    return new Started(new Abandoned(marked, lost), begin(audit, trigger, scheduledFireTime));
  }

  private static final String RUNS = Store.SCHEMA + ".audit_run";

  /** A bind value of type timestamptz. */
  private static Object instant(Instant instant) {
    return DSL.val(instant, SQLDataType.INSTANT);
  }

  /**
   * Marks every unfinished run of {@code auditId} as interrupted. Only call this while holding the
   * audit's lease: then no live process is running it, so a 'running' row is left over from a
   * process that died (SIGKILL, crash, lost node).
   *
   * @return how many runs were marked
   */
  public int interruptAbandoned(String auditId, String reason) {
    try {
      return dsl.transactionResult(
          configuration -> {
            DSLContext tx = configuration.dsl();
            Instant now = clock.instant();
            List<Long> runIds =
                tx.update(AUDIT_RUN)
                    .set(AUDIT_RUN.STATUS, INTERRUPTED)
                    .set(AUDIT_RUN.FINISHED_AT, now)
                    .set(AUDIT_RUN.ERROR_CLASS, NODE_LOST)
                    .set(AUDIT_RUN.ERROR_MESSAGE, reason)
                    .where(AUDIT_RUN.AUDIT_ID.eq(auditId))
                    .and(AUDIT_RUN.STATUS.eq(RUNNING))
                    .returning(AUDIT_RUN.ID)
                    .fetch(AUDIT_RUN.ID);
            if (!runIds.isEmpty()) {
              countRun(tx, auditId, INTERRUPTED, runIds.size()).execute();
              for (long runId : runIds) {
                recordFailedLatest(tx, runId, now);
              }
            }
            return runIds.size();
          });
    } catch (DataAccessException e) {
      throw new StoreException("cannot mark abandoned runs of " + auditId, e);
    }
  }

  /**
   * Deletes finished runs (with their samples) that finished before {@code before}, in batches so
   * that no single statement holds locks for long. Returns how many were deleted.
   */
  public int pruneFinished(Instant before) {
    int total = 0;
    int deleted;
    do {
      deleted =
          dsl.deleteFrom(AUDIT_RUN)
              .where(
                  AUDIT_RUN.ID.in(
                      DSL.select(AUDIT_RUN.ID)
                          .from(AUDIT_RUN)
                          .where(AUDIT_RUN.FINISHED_AT.lt(before))
                          .and(AUDIT_RUN.STATUS.ne(RUNNING))
                          .limit(PRUNE_BATCH)))
              .execute();
      total += deleted;
    } while (deleted == PRUNE_BATCH);
    return total;
  }

  /** Audits that have a run recorded as still running (on any node). */
  public List<String> auditsWithUnfinishedRuns() {
    return dsl.selectDistinct(AUDIT_RUN.AUDIT_ID)
        .from(AUDIT_RUN)
        .where(AUDIT_RUN.STATUS.eq(RUNNING))
        .fetch(AUDIT_RUN.AUDIT_ID);
  }

  /**
   * Keeps {@code audit_latest} current: the latest run, and (for a completed run) the latest
   * counts; a run that did not complete keeps the previous counts and adds a failure.
   */
  private static Query recordLatest(DSLContext tx, long runId, AuditResult result, Instant now) {
    boolean completed = result.status().completed();
    boolean fullSuccess = completed && result.info().mode().readsEveryRow();
    var measurement = result.measurement();
    return tx.insertInto(AUDIT_LATEST)
        .set(AUDIT_LATEST.AUDIT_ID, result.audit().id())
        .set(AUDIT_LATEST.TARGET, result.audit().target())
        .set(AUDIT_LATEST.KIND, result.audit().kind())
        .set(AUDIT_LATEST.SEVERITY, result.audit().severity().label())
        .set(AUDIT_LATEST.LAST_RUN_ID, runId)
        .set(AUDIT_LATEST.LAST_STATUS, result.status().label())
        .set(AUDIT_LATEST.LAST_FINISHED_AT, now)
        .set(AUDIT_LATEST.LAST_DURATION_MS, result.duration().toMillis())
        .set(AUDIT_LATEST.LAST_SUCCESS_RUN_ID, completed ? runId : null)
        .set(AUDIT_LATEST.LAST_SUCCESS_AT, completed ? now : null)
        .set(AUDIT_LATEST.VIOLATIONS, measurement.map(m -> m.violations()).orElse(null))
        .set(AUDIT_LATEST.ROWS_CHECKED, measurement.map(m -> m.rowsChecked()).orElse(null))
        .set(AUDIT_LATEST.THRESHOLD_BREACHED, completed ? result.thresholdBreached() : null)
        .set(AUDIT_LATEST.CONSECUTIVE_FAILURES, completed ? 0 : 1)
        .set(AUDIT_LATEST.LAST_MODE, result.info().mode().label())
        .set(AUDIT_LATEST.LAST_FULL_SUCCESS_AT, fullSuccess ? now : null)
        .onConflict(AUDIT_LATEST.AUDIT_ID)
        .doUpdate()
        .set(AUDIT_LATEST.TARGET, result.audit().target())
        .set(AUDIT_LATEST.KIND, result.audit().kind())
        .set(AUDIT_LATEST.SEVERITY, result.audit().severity().label())
        .set(AUDIT_LATEST.LAST_RUN_ID, runId)
        .set(AUDIT_LATEST.LAST_STATUS, result.status().label())
        .set(AUDIT_LATEST.LAST_FINISHED_AT, now)
        .set(AUDIT_LATEST.LAST_DURATION_MS, result.duration().toMillis())
        .set(
            AUDIT_LATEST.LAST_SUCCESS_RUN_ID,
            completed ? DSL.val(runId) : AUDIT_LATEST.LAST_SUCCESS_RUN_ID)
        .set(AUDIT_LATEST.LAST_SUCCESS_AT, completed ? DSL.val(now) : AUDIT_LATEST.LAST_SUCCESS_AT)
        .set(
            AUDIT_LATEST.VIOLATIONS,
            completed ? DSL.val(measurement.get().violations()) : AUDIT_LATEST.VIOLATIONS)
        .set(
            AUDIT_LATEST.ROWS_CHECKED,
            completed ? DSL.val(measurement.get().rowsChecked()) : AUDIT_LATEST.ROWS_CHECKED)
        .set(
            AUDIT_LATEST.THRESHOLD_BREACHED,
            completed ? DSL.val(result.thresholdBreached()) : AUDIT_LATEST.THRESHOLD_BREACHED)
        .set(
            AUDIT_LATEST.CONSECUTIVE_FAILURES,
            completed ? DSL.val(0) : AUDIT_LATEST.CONSECUTIVE_FAILURES.plus(1))
        .set(AUDIT_LATEST.LAST_MODE, result.info().mode().label())
        .set(
            AUDIT_LATEST.LAST_FULL_SUCCESS_AT,
            fullSuccess ? DSL.val(now) : AUDIT_LATEST.LAST_FULL_SUCCESS_AT);
  }

  /** A run marked interrupted after its node died: one more failure, counts unchanged. */
  private static void recordFailedLatest(DSLContext tx, long runId, Instant now) {
    tx.update(AUDIT_LATEST)
        .set(AUDIT_LATEST.LAST_RUN_ID, runId)
        .set(AUDIT_LATEST.LAST_STATUS, INTERRUPTED)
        .set(AUDIT_LATEST.LAST_FINISHED_AT, now)
        .set(AUDIT_LATEST.CONSECUTIVE_FAILURES, AUDIT_LATEST.CONSECUTIVE_FAILURES.plus(1))
        .where(
            AUDIT_LATEST.AUDIT_ID.eq(
                DSL.select(AUDIT_RUN.AUDIT_ID).from(AUDIT_RUN).where(AUDIT_RUN.ID.eq(runId))))
        .execute();
  }

  private static Query countRun(DSLContext tx, String auditId, String status, int runs) {
    return tx.insertInto(AUDIT_RUN_TOTAL)
        .set(AUDIT_RUN_TOTAL.AUDIT_ID, auditId)
        .set(AUDIT_RUN_TOTAL.STATUS, status)
        .set(AUDIT_RUN_TOTAL.RUNS, (long) runs)
        .onConflict(AUDIT_RUN_TOTAL.AUDIT_ID, AUDIT_RUN_TOTAL.STATUS)
        .doUpdate()
        .set(AUDIT_RUN_TOTAL.RUNS, AUDIT_RUN_TOTAL.RUNS.plus(runs));
  }

  /** The latest runs of an audit, newest first, with samples. */
  public List<RunView> history(String auditId, int limit) {
    Result<AuditRunRecord> runs =
        dsl.selectFrom(AUDIT_RUN)
            .where(AUDIT_RUN.AUDIT_ID.eq(auditId))
            .orderBy(AUDIT_RUN.SCHEDULED_FIRE_TIME.desc(), AUDIT_RUN.ID.desc())
            .limit(limit)
            .fetch();
    Map<Long, List<JSONB>> samples = new LinkedHashMap<>();
    if (!runs.isEmpty()) {
      for (Record sample :
          dsl.select(AUDIT_RUN_SAMPLE.RUN_ID, AUDIT_RUN_SAMPLE.SAMPLE_KEY)
              .from(AUDIT_RUN_SAMPLE)
              .where(AUDIT_RUN_SAMPLE.RUN_ID.in(runs.getValues(AUDIT_RUN.ID)))
              .orderBy(AUDIT_RUN_SAMPLE.RUN_ID, AUDIT_RUN_SAMPLE.ORDINAL)
              .fetch()) {
        samples
            .computeIfAbsent(sample.get(AUDIT_RUN_SAMPLE.RUN_ID), id -> new ArrayList<>())
            .add(sample.get(AUDIT_RUN_SAMPLE.SAMPLE_KEY));
      }
    }
    // the baseline marks of every listed run with a baseline and sample keys, in one query
    Map<Long, String[]> withBaseline = new LinkedHashMap<>();
    for (AuditRunRecord run : runs) {
      if (samples.containsKey(run.getId())
          && run.getBaselineViolations() != null
          && run.getBaselineViolations() > 0) {
        withBaseline.put(run.getId(), run.getSampleColumns());
      }
    }
    Map<Long, Map<Map<String, String>, Boolean>> marks =
        withBaseline.isEmpty() ? Map.of() : SampleBaseline.of(dsl, auditId, withBaseline);
    List<RunView> views = new ArrayList<>();
    for (AuditRunRecord run : runs) {
      List<Map<String, String>> keys =
          samples.getOrDefault(run.getId(), List.of()).stream()
              .map(key -> parseSample(key, run.getSampleColumns()))
              .toList();
      Map<Map<String, String>, Boolean> in = marks.getOrDefault(run.getId(), Map.of());
      views.add(view(run, keys, in.isEmpty() ? List.of() : keys.stream().map(in::get).toList()));
    }
    return views;
  }

  static RunView view(AuditRunRecord run, List<Map<String, String>> samples) {
    return view(run, samples, List.of());
  }

  static RunView view(
      AuditRunRecord run, List<Map<String, String>> samples, List<Boolean> sampleInBaseline) {
    return new RunView(
        run.getId(),
        run.getAuditId(),
        run.getTarget(),
        run.getKind(),
        run.getSeverity(),
        run.getTriggerType(),
        run.getScheduledFireTime(),
        run.getStartedAt(),
        run.getFinishedAt(),
        run.getStatus(),
        run.getViolations(),
        run.getRowsChecked(),
        run.getThresholdBreached(),
        run.getDurationMs(),
        run.getAttempts(),
        run.getMode(),
        run.getChunks(),
        run.getChunkNodes(),
        run.getScannedRows(),
        run.getWatermarkFrom(),
        run.getWatermarkTo(),
        run.getErrorClass(),
        run.getErrorMessage(),
        run.getNodeId(),
        run.getNewViolations(),
        run.getPersistingViolations(),
        run.getGoneViolations(),
        run.getKeyTracking(),
        run.getBaselineViolations(),
        run.getOldestViolationSince(),
        samples,
        sampleInBaseline);
  }

  /**
   * A stored sample key with its columns in key order: {@code columns} first (the run's {@code
   * sample_columns}), then any other in jsonb's order (shorter names first), which is all a run
   * recorded before V17 has.
   */
  static Map<String, String> parseSample(JSONB json, String[] columns) {
    Map<String, String> stored;
    try {
      stored = Json.MAPPER.readValue(json.data(), SAMPLE_TYPE);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt sample in the store", e);
    }
    if (columns == null) {
      return stored;
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String column : columns) {
      if (stored.containsKey(column)) {
        ordered.put(column, stored.get(column));
      }
    }
    ordered.putAll(stored);
    return ordered;
  }
}
