package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.scan.CrossDatabaseRanges;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.RangeScan;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.WeakHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Runs one bound audit in the mode its {@code mode:} asks for and the table allows (docs/audits.md,
 * "Big tables"), decided in one place ({@link #modeOf}):
 *
 * <ul>
 *   <li><b>full</b> ({@link FullRun}): one statement, one transaction;
 *   <li><b>chunked</b> ({@link ChunkedRun}; {@code mode: chunked}, or {@code auto} on a driving
 *       table estimated at {@code chunk_above_rows} or more): key ranges, each in its own short
 *       transaction, shared with the cluster's other nodes when there is a store;
 *   <li><b>incremental</b> ({@link IncrementalRun}): only the rows past the watermark, the earlier
 *       rows' findings carried forward; a full sweep (full or chunked) first, and whenever {@code
 *       full_sweep} is due or the audit's definition changed.
 * </ul>
 *
 * Kinds that cannot be split run full whatever the mode; a reference across databases runs as one
 * merge of both databases' streams ({@link CrossDatabaseRun}), or with {@code mode: chunked} as a
 * chunked run over ranges of its reference on both servers. Every mode runs its work through the
 * same attempts and retry policy ({@link Attempts}).
 */
public final class AuditExecutor {
  private final Attempts attempts;
  private final FullRun full;
  private final IncrementalRun incremental;
  private final CrossDatabaseRun crossDatabase;

  public AuditExecutor(Attempts attempts) {
    this.attempts = attempts;
    this.full = new FullRun(attempts);
    this.incremental = new IncrementalRun(attempts);
    this.crossDatabase = new CrossDatabaseRun(attempts);
  }

  /**
   * @param targets the audited databases' pools, by target name
   * @param runId the run's row in the store (chunks and watermarks are keyed by it); empty without
   *     a store
   */
  public AuditResult execute(
      BoundAudit bound,
      Function<String, DataSource> targets,
      OptionalLong runId,
      RunSupport support) {
    Audit audit = bound.audit();
    DataSource target = targets.apply(audit.target());
    Optional<CrossDatabaseScan> across = bound.query().acrossDatabases();
    if (across.isPresent()) {
      Optional<CrossDatabaseRanges> ranges = across.get().ranges();
      if (audit.execution().mode() == Execution.Mode.CHUNKED && ranges.isPresent()) {
        return new ChunkedRun(
                attempts,
                audit,
                CrossDatabaseRun.chunks(
                    across.get(), ranges.get(), target, targets.apply(across.get().parentTarget())),
                Optional.empty())
            .execute(runId, support)
            .result();
      }
      // otherwise both tables stream in one pass with bounded memory (docs/audits.md)
      return crossDatabase.run(
          audit,
          across.get(),
          target,
          targets.apply(across.get().parentTarget()),
          keys(runId, support, audit));
    }
    Optional<RangeScan> scan = bound.query().rangeScan();
    return switch (modeOf(audit.execution(), scan, support.keepsWatermarks())) {
      case FULL -> full.run(audit, bound.query(), target, keys(runId, support, audit));
      case CHUNKED ->
          new ChunkedRun(attempts, audit, scan.orElseThrow(), Optional.empty(), target)
              .execute(runId, support)
              .result();
      case INCREMENTAL -> incremental.run(audit, scan.orElseThrow(), target, runId, support);
    };
  }

  /**
   * The mode a run of the audit takes: full unless its kind can be split ({@code scan} present) and
   * its execution asks for another; incremental only where watermarks can be kept (a store);
   * chunked as {@link #sweepsInChunks} says.
   */
  static RunInfo.Mode modeOf(
      Execution execution, Optional<RangeScan> scan, boolean keepsWatermarks) {
    if (scan.isEmpty() || execution.mode() == Execution.Mode.FULL) {
      return RunInfo.Mode.FULL;
    }
    if (execution.mode() == Execution.Mode.INCREMENTAL && keepsWatermarks) {
      return RunInfo.Mode.INCREMENTAL;
    }
    return sweepsInChunks(execution, scan.get()) ? RunInfo.Mode.CHUNKED : RunInfo.Mode.FULL;
  }

  /** Whether a run that reads every row of this audit runs in chunks. */
  static boolean sweepsInChunks(Execution execution, RangeScan scan) {
    if (Execution.chunkKey(scan.table()).isEmpty()) {
      return false;
    }
    return switch (execution.mode()) {
      case CHUNKED -> true;
      case FULL -> false;
      case AUTO, INCREMENTAL -> scan.table().estimatedRows() >= execution.chunkAboveRows();
    };
  }

  /** Where a run sends its violating keys' fingerprints: the store's key set of the run, if any. */
  static KeySink keys(OptionalLong runId, RunSupport support, Audit audit) {
    return runId.isPresent() ? support.keys(runId.getAsLong(), audit) : KeySink.NONE;
  }

  /**
   * A peer's chunked run of {@code bound} this node can help with: ranges of its column {@code
   * keyColumn}, limited to {@code scope}; empty when this node's definition of the audit is not the
   * peer's ({@code fingerprint}) or cannot run in chunks.
   *
   * @param targets the audited databases' pools, by target name
   */
  public Optional<ChunkedRun> chunkedRun(
      BoundAudit bound,
      String fingerprint,
      String keyColumn,
      Optional<SweepScope> scope,
      Function<String, DataSource> targets) {
    Audit audit = bound.audit();
    Optional<CrossDatabaseScan> across = bound.query().acrossDatabases();
    if (across.isPresent()) {
      return across
          .get()
          .ranges()
          .filter(ranges -> ranges.key().name().equals(keyColumn))
          .map(
              ranges ->
                  CrossDatabaseRun.chunks(
                      across.get(),
                      ranges,
                      targets.apply(audit.target()),
                      targets.apply(across.get().parentTarget())))
          .filter(statements -> statements.fingerprint(audit).equals(fingerprint))
          .map(statements -> new ChunkedRun(attempts, audit, statements, Optional.empty()));
    }
    Optional<RangeScan> scan = bound.query().rangeScan();
    if (scan.isEmpty() || !fingerprint(scan.get(), audit).equals(fingerprint)) {
      return Optional.empty();
    }
    return scan.get()
        .table()
        .column(keyColumn)
        .map(
            key ->
                new ChunkedRun(
                    attempts, audit, scan.get(), key, scope, targets.apply(audit.target())));
  }

  /**
   * A hash of the statement a chunk or increment runs, and of what its partial results mean (sample
   * size, hence buckets): peers and stored watermarks must mean the same thing.
   */
  public static String fingerprint(RangeScan scan, Audit audit) {
    Fingerprint known;
    synchronized (FINGERPRINTS) {
      known = FINGERPRINTS.get(scan);
    }
    if (known != null && known.sampleSize() == audit.sampleSize()) {
      return known.value();
    }
    String value = fingerprint(scan.sql(DSL.using(SQLDialect.POSTGRES), DSL.noCondition()), audit);
    synchronized (FINGERPRINTS) {
      FINGERPRINTS.put(scan, new Fingerprint(audit.sampleSize(), value));
    }
    return value;
  }

  /**
   * The fingerprints of the bound audits' scans, by scan (a scan is immutable, bound once per
   * binding; weak: a binding replaced by a reload takes its scans with it). Rendering an audit's
   * statement and hashing it took 1-2 ms of every incremental run, whose whole fixed cost is a few
   * tens of ms (docs/performance.md, "tenth session, incr25").
   */
  private static final Map<RangeScan, Fingerprint> FINGERPRINTS = new WeakHashMap<>();

  private record Fingerprint(int sampleSize, String value) {}

  /** The same for a statement (or statements) given as SQL. */
  static String fingerprint(String sql, Audit audit) {
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
