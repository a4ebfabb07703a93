package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.scan.KeyRange;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.catalog.ColumnInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An incremental run: only the rows past the audit's watermark are read, the earlier rows' findings
 * carried forward from the stored partial result. A full sweep (full or chunked, by the auto rule)
 * comes first, and again whenever {@code full_sweep} is due or the audit's definition changed.
 */
final class IncrementalRun {
  private static final Logger LOG = LoggerFactory.getLogger(IncrementalRun.class);

  private final Attempts attempts;

  IncrementalRun(Attempts attempts) {
    this.attempts = attempts;
  }

  AuditResult run(
      Audit audit, RangeScan scan, DataSource target, OptionalLong runId, RunSupport support) {
    Execution execution = audit.execution();
    ColumnInfo column = execution.watermarkColumn(scan.table()).orElseThrow();
    String fingerprint = AuditExecutor.fingerprint(scan, audit) + ":" + column.name();
    // the watermark, and where the statements send their keys: one look at the store
    RunSupport.IncrementalStart start = support.incrementalStart(runId, audit);
    Optional<RunInfo.WatermarkState> state = start.watermark();
    Instant now = attempts.clock().instant();
    Optional<String> reason = sweepReason(state, fingerprint, column, execution, now);
    if (reason.isPresent()) {
      LOG.info("audit {}: full sweep ({})", audit.id(), reason.get());
      return sweep(audit, scan, column, fingerprint, target, runId, support, start.keys());
    }
    RunInfo.WatermarkState previous = state.get();
    record Delta(Optional<String> high, ScanPartial partial) {}
    Outcome<Delta> outcome =
        attempts.inTransaction(
            audit,
            scan.relations(),
            target,
            // a few thousand new rows: starting parallel workers would cost more than it saves
            // (an audit's own max_parallel_workers_per_gather wins)
            Map.of("max_parallel_workers_per_gather", "0"),
            context -> {
              Optional<String> high =
                  highest(context, scan, column, previous.value(), execution.watermarkLag());
              if (high.isEmpty()) {
                return new Delta(Optional.empty(), ScanPartial.EMPTY);
              }
              Condition range = KeyRange.afterUpTo(scan, column, previous.value(), high.get());
              // few rows: the planner may probe the parent's index rather than hash it all
              Tracking tracking =
                  new Tracking(
                      start.keys(),
                      "increment "
                          + Integer.toHexString(
                              (previous.value().orElse("") + "|" + high.get()).hashCode()));
              return new Delta(high, scan.scan(context, range, 0, tracking));
            },
            " (increment)");
    if (outcome.value().isEmpty()) {
      return outcome
          .failure(audit)
          .withInfo(RunInfo.incremental(0, previous.value(), Optional.empty()));
    }
    Delta delta = outcome.value().get();
    ScanPartial total = previous.partial().merge(delta.partial());
    Optional<String> watermark = delta.high().or(previous::value);
    Measurement measurement = scan.measurement(total);
    LOG.info(
        "audit {} on {}: {} new rows past {} checked ({} violations), {} violations in {} rows"
            + " since the full sweep of {} ({} ms)",
        audit.id(),
        audit.target(),
        delta.partial().rowsChecked(),
        previous.value().orElse("the start"),
        delta.partial().violations(),
        measurement.violations(),
        measurement.rowsChecked(),
        previous.lastFullAt(),
        outcome.duration().toMillis());
    RunInfo info =
        RunInfo.incremental(delta.partial().rowsChecked(), previous.value(), watermark)
            .withWatermark(
                new RunInfo.Watermark(
                    audit.id(), fingerprint, column.name(), watermark, total, false));
    return outcome.completed(audit, measurement).withInfo(info);
  }

  /** Why the next run of an incremental audit must read every row, or empty when it need not. */
  static Optional<String> sweepReason(
      Optional<RunInfo.WatermarkState> state,
      String fingerprint,
      ColumnInfo column,
      Execution execution,
      Instant now) {
    if (state.isEmpty()) {
      return Optional.of("no watermark yet");
    }
    if (!state.get().fingerprint().equals(fingerprint)
        || !state.get().column().equals(column.name())) {
      return Optional.of("the audit's definition changed");
    }
    Optional<Instant> due = execution.fullSweep().nextAfter(state.get().lastFullAt());
    if (due.isPresent() && !due.get().isAfter(now)) {
      return Optional.of("full_sweep " + execution.fullSweep().written() + " is due");
    }
    return Optional.empty();
  }

  /**
   * Reads every row (full or chunked, by the auto rule) and sets the watermark to the highest value
   * of the column it saw: in the same transaction for a full sweep; read first for a chunked one,
   * whose chunks then stop at it (later rows are the next incremental run's).
   *
   * @param keys where a full sweep sends its violating keys (a chunked one asks {@code support})
   */
  private AuditResult sweep(
      Audit audit,
      RangeScan scan,
      ColumnInfo column,
      String fingerprint,
      DataSource target,
      OptionalLong runId,
      RunSupport support,
      KeySink keys) {
    if (AuditExecutor.sweepsInChunks(audit.execution(), scan)) {
      Outcome<Optional<String>> high =
          attempts.inTransaction(
              audit,
              scan.relations(),
              target,
              context -> highest(context, scan, column, Optional.empty(), Duration.ZERO),
              " (watermark)");
      if (high.value().isEmpty()) {
        return high.failure(audit);
      }
      Optional<String> watermark = high.value().get();
      ChunkedRun.Finished chunked =
          new ChunkedRun(
                  attempts,
                  audit,
                  scan,
                  Optional.of(new SweepScope(column.name(), watermark)),
                  target)
              .execute(runId, support);
      if (chunked.total().isEmpty()) {
        return chunked.result();
      }
      return chunked
          .result()
          .withInfo(
              chunked
                  .result()
                  .info()
                  .withWatermark(
                      new RunInfo.Watermark(
                          audit.id(),
                          fingerprint,
                          column.name(),
                          watermark,
                          chunked.total().get(),
                          true)));
    }
    record Swept(Optional<String> high, ScanPartial partial) {}
    // REPEATABLE READ: the watermark and the scan are two statements, and under READ COMMITTED a
    // row committed between them was counted by the sweep and again by the next increment
    Outcome<Swept> outcome =
        attempts.inOneSnapshot(
            audit,
            scan.relations(),
            target,
            context -> {
              // one snapshot: every row the scan sees is at or below the watermark read first
              Optional<String> high =
                  highest(context, scan, column, Optional.empty(), Duration.ZERO);
              return new Swept(
                  high,
                  scan.scan(
                      context,
                      DSL.noCondition(),
                      Math.max(0, scan.table().estimatedRows()),
                      new Tracking(keys, Tracking.FULL)));
            },
            " (full sweep)");
    if (outcome.value().isEmpty()) {
      return outcome.failure(audit);
    }
    Swept swept = outcome.value().get();
    Measurement measurement = scan.measurement(swept.partial());
    LOG.info(
        "audit {} on {}: full sweep, {} violations in {} rows checked ({} ms)",
        audit.id(),
        audit.target(),
        measurement.violations(),
        measurement.rowsChecked(),
        outcome.duration().toMillis());
    return outcome
        .completed(audit, measurement)
        .withInfo(
            RunInfo.full(swept.partial().rowsChecked())
                .withWatermark(
                    new RunInfo.Watermark(
                        audit.id(),
                        fingerprint,
                        column.name(),
                        swept.high(),
                        swept.partial(),
                        true)));
  }

  /**
   * The highest value of the watermark column, as text: above {@code after} only, and (for a
   * timestamp) no more recent than {@code lag} ago; empty when no row qualifies. One index probe.
   */
  static Optional<String> highest(
      DSLContext context, RangeScan scan, ColumnInfo column, Optional<String> after, Duration lag) {
    Field<Object> field = scan.column(column);
    Condition condition = DSL.noCondition();
    if (after.isPresent()) {
      condition = field.gt(QueryParts.typed(after.get(), column));
    }
    if (!lag.isZero()) {
      condition =
          condition.and(
              field.le(
                  DSL.field(
                      "now() - {0}::interval",
                      Object.class, DSL.val(lag.toMillis() + " milliseconds"))));
    }
    String alias = field.getQualifiedName().first();
    String value =
        context
            .select(DSL.max(field).cast(SQLDataType.CLOB))
            .from(
                DSL.table(DSL.name(scan.table().id().schema(), scan.table().id().name())).as(alias))
            .where(condition)
            .fetchOne(0, String.class);
    return Optional.ofNullable(value);
  }
}
