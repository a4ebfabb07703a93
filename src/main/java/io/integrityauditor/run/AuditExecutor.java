package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.scan.KeyRange;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.catalog.ColumnInfo;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one bound audit in the mode its {@code mode:} asks for and the table allows (docs/audits.md,
 * "Big tables"):
 *
 * <ul>
 *   <li><b>full</b>: one statement, one transaction ({@link AuditRunner#run});
 *   <li><b>chunked</b> ({@code mode: chunked}, or {@code auto} on a driving table estimated at
 *       {@code chunk_above_rows} or more): key ranges, each in its own short transaction, shared
 *       with the cluster's other nodes when there is a store ({@link ChunkedRun});
 *   <li><b>incremental</b>: only the rows past the watermark, the earlier rows' findings carried
 *       forward; a full sweep (full or chunked) first, and whenever {@code full_sweep} is due or
 *       the audit's definition changed.
 * </ul>
 *
 * Kinds that cannot be split run full whatever the mode.
 */
public final class AuditExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(AuditExecutor.class);

  private final AuditRunner runner;
  private final Clock clock;
  private final Cancellation cancellation;

  public AuditExecutor(AuditRunner runner, Clock clock, Cancellation cancellation) {
    this.runner = runner;
    this.clock = clock;
    this.cancellation = cancellation;
  }

  /**
   * @param runId the run's row in the store (chunks and watermarks are keyed by it); empty without
   *     a store
   */
  public AuditResult execute(
      BoundAudit bound, DataSource target, OptionalLong runId, RunSupport support) {
    Audit audit = bound.audit();
    Optional<RangeScan> ranged = bound.query().rangeScan();
    Execution execution = audit.execution();
    KeySink keys = keys(runId, support, audit);
    if (ranged.isEmpty() || execution.mode() == Execution.Mode.FULL) {
      return runner.run(audit, bound.query(), target, keys);
    }
    RangeScan scan = ranged.get();
    if (execution.mode() == Execution.Mode.INCREMENTAL && support.keepsWatermarks()) {
      return incremental(audit, scan, target, runId, support);
    }
    if (chunks(execution, scan)) {
      return chunked(audit, scan, target, runId, support, Optional.empty()).result();
    }
    return runner.run(audit, bound.query(), target, keys);
  }

  /** A chunked run of {@code scan} over ranges of {@code key}, limited to {@code scope}. */
  public ChunkedRun chunkedRun(
      Audit audit, RangeScan scan, ColumnInfo key, Optional<SweepScope> scope, DataSource target) {
    Condition condition =
        scope
            .map(s -> KeyRange.upTo(scan, scan.table().column(s.column()).orElseThrow(), s.upTo()))
            .orElse(DSL.noCondition());
    return new ChunkedRun(
        runner, clock, audit, scan, key, condition, target, cancellation::isCancelled);
  }

  private static KeySink keys(OptionalLong runId, RunSupport support, Audit audit) {
    return runId.isPresent() ? support.keys(runId.getAsLong(), audit) : KeySink.NONE;
  }

  /** Whether a sweep of this audit runs in chunks. */
  static boolean chunks(Execution execution, RangeScan scan) {
    if (Execution.chunkKey(scan.table()).isEmpty()) {
      return false;
    }
    return switch (execution.mode()) {
      case CHUNKED -> true;
      case FULL -> false;
      case AUTO, INCREMENTAL -> scan.table().estimatedRows() >= execution.chunkAboveRows();
    };
  }

  /** A chunked run's result, and the merged partial behind it (for a sweep's watermark). */
  private record Chunked(AuditResult result, Optional<ScanPartial> total) {}

  private Chunked chunked(
      Audit audit,
      RangeScan scan,
      DataSource target,
      OptionalLong runId,
      RunSupport support,
      Optional<SweepScope> scope) {
    Instant startedAt = clock.instant();
    ColumnInfo key = Execution.chunkKey(scan.table()).orElseThrow();
    ChunkedRun run =
        chunkedRun(audit, scan, key, scope, target)
            .withRate(support.rowsPerSecond(audit.id()))
            .withKeys(keys(runId, support, audit));
    AuditRunner.Outcome<List<ChunkSlice>> plan = run.plan();
    if (plan.value().isEmpty()) {
      return new Chunked(
          AuditResult.failed(
              audit,
              plan.status(),
              plan.error().orElseThrow(),
              startedAt,
              Duration.between(startedAt, clock.instant())),
          Optional.empty());
    }
    List<ChunkSlice> slices = plan.value().get();
    LOG.info(
        "audit {}: {} rows of {} in {} key ranges of {}, chunks of about {}",
        audit.id(),
        scan.table().estimatedRows(),
        scan.table().id(),
        slices.size(),
        key.name(),
        audit.execution().chunkTarget());
    Optional<RunSupport.SharedChunks> shared =
        runId.isPresent()
            ? support.share(runId.getAsLong(), audit, fingerprint(scan, audit), key, scope, slices)
            : Optional.empty();
    try {
      ChunkQueue queue =
          shared
              .map(RunSupport.SharedChunks::queue)
              .orElseGet(() -> new LocalChunkQueue(slices, "local"));
      AuditResult result = run.coordinate(queue, startedAt);
      if (!result.status().completed()) {
        // a failed chunked run is still a chunked run in the history
        List<ChunkQueue.Statement> done = queue.statements();
        result =
            result.withInfo(
                RunInfo.chunked(
                    done.size(),
                    (int) done.stream().map(ChunkQueue.Statement::nodeId).distinct().count(),
                    0));
      }
      Optional<ScanPartial> total =
          result.status().completed() ? Optional.of(queue.total()) : Optional.empty();
      return new Chunked(result, total);
    } finally {
      shared.ifPresent(RunSupport.SharedChunks::close);
    }
  }

  private AuditResult incremental(
      Audit audit, RangeScan scan, DataSource target, OptionalLong runId, RunSupport support) {
    Execution execution = audit.execution();
    ColumnInfo column = execution.watermarkColumn(scan.table()).orElseThrow();
    String fingerprint = fingerprint(scan, audit) + ":" + column.name();
    Optional<RunInfo.WatermarkState> state = support.watermark(audit.id());
    Instant now = clock.instant();
    Optional<String> reason = sweepReason(state, fingerprint, column, execution, now);
    if (reason.isPresent()) {
      LOG.info("audit {}: full sweep ({})", audit.id(), reason.get());
      return sweep(audit, scan, column, fingerprint, target, runId, support);
    }
    RunInfo.WatermarkState previous = state.get();
    record Delta(Optional<String> high, ScanPartial partial) {}
    AuditRunner.Outcome<Delta> outcome =
        runner.inTransaction(
            audit,
            scan.relations(),
            target,
            context -> {
              if (!execution.settings().containsKey("max_parallel_workers_per_gather")) {
                // a few thousand new rows: starting parallel workers would cost more than it saves
                context.execute("SET LOCAL max_parallel_workers_per_gather = 0");
              }
              Optional<String> high =
                  highest(context, scan, column, previous.value(), execution.watermarkLag());
              if (high.isEmpty()) {
                return new Delta(Optional.empty(), ScanPartial.EMPTY);
              }
              Condition range = KeyRange.afterUpTo(scan, column, previous.value(), high.get());
              // few rows: the planner may probe the parent's index rather than hash it all
              Tracking tracking =
                  new Tracking(
                      keys(runId, support, audit),
                      "increment "
                          + Integer.toHexString(
                              (previous.value().orElse("") + "|" + high.get()).hashCode()));
              return new Delta(high, scan.scan(context, range, 0, tracking));
            },
            " (increment)");
    if (outcome.value().isEmpty()) {
      return AuditResult.failed(
              audit,
              outcome.status(),
              outcome.error().orElseThrow(),
              outcome.startedAt(),
              outcome.duration())
          .afterAttempts(outcome.attempts())
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
    return AuditResult.completed(audit, measurement, outcome.startedAt(), outcome.duration())
        .afterAttempts(outcome.attempts())
        .withInfo(info);
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
   */
  private AuditResult sweep(
      Audit audit,
      RangeScan scan,
      ColumnInfo column,
      String fingerprint,
      DataSource target,
      OptionalLong runId,
      RunSupport support) {
    Execution execution = audit.execution();
    if (chunks(execution, scan)) {
      AuditRunner.Outcome<Optional<String>> high =
          runner.inTransaction(
              audit,
              scan.relations(),
              target,
              context -> highest(context, scan, column, Optional.empty(), Duration.ZERO),
              " (watermark)");
      if (high.value().isEmpty()) {
        return AuditResult.failed(
            audit, high.status(), high.error().orElseThrow(), high.startedAt(), high.duration());
      }
      Optional<String> watermark = high.value().get();
      Chunked chunked =
          chunked(
              audit,
              scan,
              target,
              runId,
              support,
              Optional.of(new SweepScope(column.name(), watermark)));
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
    AuditRunner.Outcome<Swept> outcome =
        runner.inTransaction(
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
                      new Tracking(keys(runId, support, audit), Tracking.FULL)));
            },
            " (full sweep)");
    if (outcome.value().isEmpty()) {
      return AuditResult.failed(
              audit,
              outcome.status(),
              outcome.error().orElseThrow(),
              outcome.startedAt(),
              outcome.duration())
          .afterAttempts(outcome.attempts());
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
    return AuditResult.completed(audit, measurement, outcome.startedAt(), outcome.duration())
        .afterAttempts(outcome.attempts())
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

  /**
   * A hash of the statement a chunk or increment runs, and of what its partial results mean (sample
   * size, hence buckets): peers and stored watermarks must mean the same thing.
   */
  public static String fingerprint(RangeScan scan, Audit audit) {
    String sql = scan.sql(DSL.using(SQLDialect.POSTGRES), DSL.noCondition());
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] hash =
          digest.digest(
              (sql + "|sample_size=" + audit.sampleSize()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
