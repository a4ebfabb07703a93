package io.integrityauditor.run;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.scan.KeyRange;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chunked run: statements over consecutive key ranges of the driving table, each in its own short
 * READ ONLY transaction (so no snapshot is held for longer than one chunk), sized so that each
 * takes about the audit's {@code chunk_target}. Sizes are learnt while the run goes: every finished
 * statement refines a model {@code time = fixed + rows * per_row} (the fixed part is mostly the
 * parent's hash table, built again by every statement), and the next claim takes the rows that fit
 * the target. Whoever runs statements ({@link #work}) only needs the queue; the coordinator ({@link
 * #coordinate}) also waits for the others and combines the partial results into one.
 */
public final class ChunkedRun {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkedRun.class);

  /** Statements aim a little under the target: the model is an estimate. */
  private static final double AIM = 0.9;

  /**
   * Durations below this are not told apart from it (the store keeps milliseconds; a statement of a
   * few rows may show 0), so that a growth limit never divides by nothing.
   */
  private static final double MIN_MEASURED_SECONDS = 0.005;

  /**
   * A statement that tries a larger size ({@link #explore}) lasts at most this many times the
   * target if rows cost all of the time: room under the bound of 2 for a machine's noise.
   */
  private static final double EXPLORE = 1.6;

  /**
   * A statement may take up to this many times the rows that would last the aim, when that saves a
   * statement ({@link #evenShare}): at most 1.08 x the target by the fit. 1.5 (1.35 x) took two
   * statements where this takes three on the reference data, and was measured no faster in the
   * benchmark (alternated, seventh session: (e)/(b) within the noise, the 10% variant's chunked run
   * slower, the longest statement 1.48 x the target): docs/performance.md.
   */
  static final double STRETCH = 1.2;

  /** Slack beyond the statement timeout before others' unfinished chunks count as stuck. */
  private static final Duration STALL_GRACE = Duration.ofSeconds(30);

  private final Attempts attempts;
  private final Clock clock;
  private final Audit audit;
  private final Statements statements;
  private final Optional<SweepScope> sweepScope;
  private final BooleanSupplier cancelled;
  private KeySink keys = KeySink.NONE;

  /**
   * What a chunked run plans and runs: its key ranges, and one statement over consecutive ones,
   * each in its own short transaction(s). A scan in one database ({@link RangeScan}) or across two
   * ({@link CrossDatabaseRun#chunks}).
   */
  interface Statements {
    /** The table split into ranges, and the column split. */
    TableInfo table();

    ColumnInfo key();

    Outcome<List<ChunkSlice>> plan(Attempts attempts, Audit audit);

    Outcome<ScanPartial> run(
        Attempts attempts,
        Audit audit,
        Optional<String> lower,
        Optional<String> upper,
        Tracking keys,
        String label);

    Measurement measurement(ScanPartial total);

    /** Identifies the statements: peers with another definition stay away from the run. */
    String fingerprint(Audit audit);
  }

  /** The statements of a scan in one database: the scan over each range, on its target. */
  private record InOneDatabase(RangeScan scan, ColumnInfo key, Condition scope, DataSource target)
      implements Statements {
    @Override
    public TableInfo table() {
      return scan.table();
    }

    @Override
    public Outcome<List<ChunkSlice>> plan(Attempts attempts, Audit audit) {
      return attempts.inTransaction(
          audit,
          scan.relations(),
          target,
          context -> ChunkPlanner.plan(context, scan, key),
          " (chunk plan)");
    }

    @Override
    public Outcome<ScanPartial> run(
        Attempts attempts,
        Audit audit,
        Optional<String> lower,
        Optional<String> upper,
        Tracking keys,
        String label) {
      Condition range = KeyRange.between(scan, key, lower, upper).and(scope);
      return attempts.inTransaction(
          audit,
          scan.relations(),
          target,
          // the join form: its parallel hash of the parent is built once per statement by
          // all workers together (the hashed subplan is built by each worker)
          context -> scan.scan(context, range, 0, keys),
          label);
    }

    @Override
    public Measurement measurement(ScanPartial total) {
      return scan.measurement(total);
    }

    @Override
    public String fingerprint(Audit audit) {
      return AuditExecutor.fingerprint(scan, audit);
    }
  }

  /**
   * A chunked run of {@code scan} over ranges of {@code key} (a peer's plan names the key it split
   * by).
   *
   * @param sweepScope limits every chunk (a full sweep of an incremental audit covers the rows up
   *     to its watermark only); empty for none
   */
  ChunkedRun(
      Attempts attempts,
      Audit audit,
      RangeScan scan,
      ColumnInfo key,
      Optional<SweepScope> sweepScope,
      DataSource target) {
    this(
        attempts,
        audit,
        new InOneDatabase(
            scan,
            key,
            sweepScope
                .map(
                    s ->
                        KeyRange.upTo(
                            scan, scan.table().column(s.column()).orElseThrow(), s.upTo()))
                .orElse(DSL.noCondition()),
            target),
        sweepScope);
  }

  /** A chunked run of {@code statements} (a scan across databases: no sweep scope). */
  ChunkedRun(
      Attempts attempts, Audit audit, Statements statements, Optional<SweepScope> sweepScope) {
    this.attempts = attempts;
    this.clock = attempts.clock();
    this.audit = audit;
    this.statements = statements;
    this.sweepScope = sweepScope;
    this.cancelled = attempts.cancellation()::isCancelled;
  }

  /** A chunked run of {@code scan} over ranges of its chunk key, limited to {@code sweepScope}. */
  ChunkedRun(
      Attempts attempts,
      Audit audit,
      RangeScan scan,
      Optional<SweepScope> sweepScope,
      DataSource target) {
    this(attempts, audit, scan, Execution.chunkKey(scan.table()).orElseThrow(), sweepScope, target);
  }

  /** Plans the slices on the target in a short READ ONLY transaction of its own. */
  Outcome<List<ChunkSlice>> plan() {
    return statements.plan(attempts, audit);
  }

  /**
   * Claims and runs statements until none can be claimed (all done or being run elsewhere), a
   * statement fails, or {@code stop} says so.
   */
  public void work(ChunkQueue queue, BooleanSupplier stop) {
    while (!stop.getAsBoolean() && !cancelled.getAsBoolean()) {
      ChunkQueue.Progress progress = queue.progress();
      if (progress.failure().isPresent()) {
        return;
      }
      List<ChunkQueue.Statement> done = queue.statements();
      long rows =
          done.isEmpty() && rowsPerSecond > 0
              // the audit's previous run: its rate includes fixed costs, so this errs small
              ? Math.max(1, (long) (rowsPerSecond * targetSeconds() * AIM))
              : nextRows(done);
      Optional<ChunkQueue.Claim> claim = queue.claim(evenShare(rows, progress.pendingRows()));
      if (claim.isEmpty()) {
        return;
      }
      if (!run(claim.get())) {
        return;
      }
    }
  }

  /** Runs one claimed statement; false when it failed or was interrupted. */
  private boolean run(ChunkQueue.Claim claim) {
    List<ChunkSlice> slices = claim.slices();
    ChunkSlice first = slices.get(0);
    ChunkSlice last = slices.get(slices.size() - 1);
    String label = " chunk " + first.ordinal() + (slices.size() > 1 ? "-" + last.ordinal() : "");
    Outcome<ScanPartial> outcome;
    try {
      outcome =
          statements.run(
              attempts,
              audit,
              first.lower(),
              last.upper(),
              new Tracking(keys, "chunk " + first.ordinal() + "-" + last.ordinal()),
              label);
    } catch (RuntimeException e) {
      claim.release();
      throw e;
    }
    if (outcome.value().isPresent()) {
      claim.complete(outcome.value().get(), outcome.startedAt(), outcome.duration());
      LOG.debug(
          "audit {}{}: {} rows in {} ms",
          audit.id(),
          label,
          outcome.value().get().rowsChecked(),
          outcome.duration().toMillis());
      return true;
    }
    if (outcome.status() == RunStatus.INTERRUPTED) {
      claim.release();
    } else {
      claim.fail(outcome.error().orElseThrow());
    }
    return false;
  }

  /**
   * Runs statements, waits for the ones others are running, and combines every partial into one
   * result. The audit's {@code timeout} bounds each statement; a run whose remaining chunks are
   * held elsewhere without progress for longer than that (plus a grace) ends as a timeout.
   */
  public AuditResult coordinate(ChunkQueue queue, Instant startedAt) {
    long start = System.nanoTime();
    int lastDone = -1;
    long lastProgress = System.nanoTime();
    Duration stall = audit.timeout().plus(STALL_GRACE);
    while (true) {
      work(queue, () -> false);
      ChunkQueue.Progress progress = queue.progress();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      if (progress.failure().isPresent()) {
        RunError error = progress.failure().get();
        return AuditResult.failed(audit, statusOf(error), error, startedAt, took);
      }
      if (cancelled.getAsBoolean()) {
        return attempts.interrupted(audit, startedAt);
      }
      if (progress.pending() == 0) {
        break;
      }
      if (progress.done() != lastDone) {
        lastDone = progress.done();
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > stall.toNanos()) {
        return AuditResult.failed(
            audit,
            RunStatus.TIMEOUT,
            new RunError(
                "timeout",
                Plural.of(progress.pending(), "chunk")
                    + " claimed by another node did not finish within "
                    + stall.toSeconds()
                    + " s"),
            startedAt,
            took);
      }
      sleep(Duration.ofMillis(100));
    }
    List<ChunkQueue.Statement> done = queue.statements();
    ScanPartial total = queue.total();
    Set<String> nodes = new HashSet<>();
    for (ChunkQueue.Statement statement : done) {
      nodes.add(statement.nodeId());
    }
    Measurement measurement = statements.measurement(total);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.info(
        "audit {} on {}: {} violations in {} rows checked ({} ms, {} chunks on {} node(s))",
        audit.id(),
        audit.target(),
        measurement.violations(),
        measurement.rowsChecked(),
        took.toMillis(),
        done.size(),
        nodes.size());
    return AuditResult.completed(audit, measurement, startedAt, took)
        .withInfo(RunInfo.chunked(done.size(), nodes.size(), total.rowsChecked()));
  }

  /**
   * How many (estimated) rows the next statement should take to last about the target: from a
   * least-squares fit of {@code seconds = fixed + rows * perRow} over the latest statements, never
   * more than {@link #growthLimit} allows; one slice to start with.
   */
  long nextRows(List<ChunkQueue.Statement> statements) {
    return nextRows(statements, targetSeconds());
  }

  private double targetSeconds() {
    return audit.execution().chunkTarget().toNanos() / 1e9;
  }

  private double rowsPerSecond;

  /** Sends each statement's violating keys to {@code keys} (a part per statement). */
  public ChunkedRun withKeys(KeySink keys) {
    this.keys = keys;
    return this;
  }

  /**
   * How fast the audit's previous run read rows (from the store), to size the first statement
   * without a calibration statement; 0 when unknown.
   */
  public ChunkedRun withRate(double rowsPerSecond) {
    this.rowsPerSecond = rowsPerSecond;
    return this;
  }

  /**
   * @param chunkTarget the audit's {@code chunk_target} in seconds (statements aim a little under)
   */
  static long nextRows(List<ChunkQueue.Statement> statements, double chunkTarget) {
    double targetSeconds = chunkTarget * AIM;
    if (statements.isEmpty()) {
      return 1; // one slice: calibration
    }
    List<ChunkQueue.Statement> recent =
        statements.stream()
            .sorted((a, b) -> b.finishedAt().compareTo(a.finishedAt()))
            .limit(8)
            .toList();
    double n = recent.size();
    double sumR = 0;
    double sumT = 0;
    double sumRR = 0;
    double sumRT = 0;
    double limit = 1;
    for (ChunkQueue.Statement s : recent) {
      double r = s.estimatedRows();
      double t = s.duration().toNanos() / 1e9;
      sumR += r;
      sumT += t;
      sumRR += r * r;
      sumRT += r * t;
      limit = Math.max(limit, growthLimit(s, targetSeconds));
    }
    double perRow;
    double fixed;
    double denominator = n * sumRR - sumR * sumR;
    if (n >= 2 && denominator > 1e-9 * sumRR) {
      perRow = (n * sumRT - sumR * sumT) / denominator;
      fixed = (sumT - perRow * sumR) / n;
    } else {
      perRow = -1;
      fixed = 0;
    }
    if (perRow <= 0 || fixed < 0) {
      perRow = sumT / Math.max(1, sumR); // fixed cost folded in: errs on the small side
      fixed = 0;
    }
    double rows = Math.min(Math.max(1, (targetSeconds - fixed) / perRow), limit);
    return (long) Math.max(rows, explore(recent, chunkTarget));
  }

  /**
   * The rows the next statement takes when about {@code rows} would last the aim and {@code
   * pending} rows are left: the fewest statements that cover them, none over {@link #STRETCH} times
   * {@code rows}, in equal shares. Every statement pays the parent's hash once, so a last statement
   * of a few leftover slices costs nearly a whole statement's fixed cost for nothing: measured on
   * the reference data (10 M rows), a run whose statements aimed at 4.7 M and 5.2 M rows ran a
   * third one for the last 0.1-0.9 M rows, 0.2-0.6 s of a 3.7-4.2 s run. A share over {@code rows}
   * lasts at most {@link #STRETCH} times the aim (1.08 x the target): within the bound of 2 x the
   * target with room for noise. Equal shares may be fewer rows than {@code rows}: 1.3 x {@code
   * rows} pending take two statements either way, better two of 0.65 than one and a leftover of 0.3
   * (a calibration statement of one slice stays one slice).
   */
  static long evenShare(long rows, long pending) {
    if (pending <= rows || rows <= 0) {
      return rows;
    }
    long statements = (long) Math.ceil(pending / (rows * STRETCH));
    return (pending + statements - 1) / statements;
  }

  /**
   * While the latest statements all had the same size, the fit cannot tell the fixed cost (the
   * parent's hash) from the cost per row, and the rate with the fixed cost folded in keeps asking
   * for that same size: on a loaded machine, where the fixed cost is most of the target, every
   * statement stayed one slice (the 100 statements of 100 slices in the reference benchmark's worst
   * runs). Then the next statement takes one slice more, when even with no fixed cost at all (every
   * second of the slowest of them spent on rows) it would last at most {@link #EXPLORE} times the
   * target; the two sizes let the fit see the per-row cost. 0 when not exploring.
   */
  static double explore(List<ChunkQueue.Statement> recent, double chunkTarget) {
    ChunkQueue.Statement first = recent.get(0);
    double slowest = 0;
    for (ChunkQueue.Statement s : recent) {
      if (s.estimatedRows() != first.estimatedRows() || s.slices() != first.slices()) {
        return 0;
      }
      slowest = Math.max(slowest, s.duration().toNanos() / 1e9);
    }
    int slices = Math.max(1, first.slices());
    double larger = (double) first.estimatedRows() * (slices + 1) / slices;
    return slowest * (slices + 1) / slices <= EXPLORE * chunkTarget ? larger + 1 : 0;
  }

  /**
   * The most rows the next statement may take after {@code statement}, whatever the fit says: what
   * would last {@code targetSeconds} at that statement's own rate, its fixed cost counted as if it
   * were rows. That rate is slower than the true one (the fixed cost is paid once, not per row), so
   * this errs small: while rows are read at a steady speed, a statement of that size lasts at most
   * the target plus one fixed cost. The next statement may take the largest of these limits over
   * the latest statements (one slow statement on a loaded machine does not hold the size down). A
   * calibration statement of one slice, mostly fixed cost, lets the next one grow as far as the
   * target allows at once (a fixed factor of 4 took two or three more statements to get there, each
   * building the parent's hash again), and a statement near the target cannot be followed by one
   * several times longer when a noisy fit overestimates (the factor of 4 allowed that).
   */
  static double growthLimit(ChunkQueue.Statement statement, double targetSeconds) {
    double seconds = Math.max(statement.duration().toNanos() / 1e9, MIN_MEASURED_SECONDS);
    return Math.max(1, statement.estimatedRows() * targetSeconds / seconds);
  }

  private static RunStatus statusOf(RunError error) {
    return switch (error.errorClass()) {
      case "timeout" -> RunStatus.TIMEOUT;
      case "interrupted" -> RunStatus.INTERRUPTED;
      default -> RunStatus.ERROR;
    };
  }

  private void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Clock clock() {
    return clock;
  }

  /** A chunked run's result, and the merged partial behind it (for a sweep's watermark). */
  record Finished(AuditResult result, Optional<ScanPartial> total) {}

  /**
   * Runs the audit in chunks as this node's run: plans the slices, shares them with the cluster's
   * other nodes when there is a store, works on them and combines the partial results.
   *
   * @param runId the run's row in the store (the shared chunks are keyed by it); empty without a
   *     store
   */
  Finished execute(OptionalLong runId, RunSupport support) {
    Instant startedAt = clock.instant();
    withRate(support.rowsPerSecond(audit.id()));
    withKeys(AuditExecutor.keys(runId, support, audit));
    Outcome<List<ChunkSlice>> plan = plan();
    if (plan.value().isEmpty()) {
      return new Finished(plan.failure(audit), Optional.empty());
    }
    List<ChunkSlice> slices = plan.value().get();
    LOG.info(
        "audit {}: {} rows of {} in {} key ranges of {}, chunks of about {}",
        audit.id(),
        statements.table().estimatedRows(),
        statements.table().id(),
        slices.size(),
        statements.key().name(),
        audit.execution().chunkTarget());
    Optional<RunSupport.SharedChunks> shared =
        runId.isPresent()
            ? support.share(
                runId.getAsLong(),
                audit,
                statements.fingerprint(audit),
                statements.key(),
                sweepScope,
                slices)
            : Optional.empty();
    try {
      ChunkQueue queue =
          shared
              .map(RunSupport.SharedChunks::queue)
              .orElseGet(() -> new LocalChunkQueue(slices, "local"));
      AuditResult result = coordinate(queue, startedAt);
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
      return new Finished(result, total);
    } finally {
      shared.ifPresent(RunSupport.SharedChunks::close);
    }
  }
}
