package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.CrossDatabaseRanges;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * A run of a reference across databases: one READ ONLY, REPEATABLE READ transaction on the child's
 * target (the attempt's, with the audit's timeouts and retries, {@link Attempts}: the scan reads
 * the child in two statements, both in its one snapshot) and, inside it, one on the parent's
 * ({@link Attempts#alongside}); the scan merges their streams. Either database failing fails the
 * attempt: the run is an error or a timeout, never a result. In chunks ({@code mode: chunked},
 * {@link #chunks}), each chunk is such a pair of transactions over one key range.
 */
final class CrossDatabaseRun {
  private final Attempts attempts;

  CrossDatabaseRun(Attempts attempts) {
    this.attempts = attempts;
  }

  AuditResult run(
      Audit audit, CrossDatabaseScan scan, DataSource child, DataSource parent, KeySink keys) {
    Outcome<Measurement> outcome =
        inBoth(
            attempts,
            audit,
            scan,
            child,
            parent,
            (childContext, parentContext) ->
                scan.execute(childContext, parentContext, keys, audit.timeout()),
            "");
    return FullRun.result(audit, audit.target() + " and " + scan.parentTarget(), outcome);
  }

  /** Work on both servers at once. */
  @FunctionalInterface
  private interface Both<T> {
    T run(DSLContext child, DSLContext parent);
  }

  private static <T> Outcome<T> inBoth(
      Attempts attempts,
      Audit audit,
      CrossDatabaseScan scan,
      DataSource child,
      DataSource parent,
      Both<T> work,
      String what) {
    return attempts.inOneSnapshot(
        audit,
        scan.relations(),
        child,
        childContext ->
            attempts.alongside(
                audit,
                scan.parentTarget(),
                parent,
                parentContext -> work.run(childContext, parentContext)),
        what);
  }

  /**
   * The statements of a chunked run of {@code scan}: ranges of the reference's first column planned
   * on the child's target (its statistics, in the order the merge compares), each range scanned on
   * both servers.
   */
  static ChunkedRun.Statements chunks(
      CrossDatabaseScan scan, CrossDatabaseRanges ranges, DataSource child, DataSource parent) {
    return new ChunkedRun.Statements() {
      @Override
      public TableInfo table() {
        return ranges.table();
      }

      @Override
      public ColumnInfo key() {
        return ranges.key();
      }

      @Override
      public Outcome<List<ChunkSlice>> plan(Attempts attempts, Audit audit) {
        return attempts.inTransaction(
            audit,
            scan.relations(),
            child,
            context ->
                ChunkPlanner.plan(
                    context,
                    ranges.table(),
                    DSL.field(DSL.name("c", ranges.key().name())),
                    ranges.key(),
                    ranges::inKeyOrder),
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
        return inBoth(
            attempts,
            audit,
            scan,
            child,
            parent,
            (childContext, parentContext) ->
                ranges.scan(childContext, parentContext, lower, upper, keys, audit.timeout()),
            label);
      }

      @Override
      public Measurement measurement(ScanPartial total) {
        return ranges.measurement(total);
      }

      @Override
      public String fingerprint(Audit audit) {
        return AuditExecutor.fingerprint(CrossDatabaseRun.sql(scan), audit);
      }
    };
  }

  /** Both sides' statements, which identify the audit's definition to peers. */
  private static String sql(CrossDatabaseScan scan) {
    var context = DSL.using(SQLDialect.POSTGRES);
    return String.join(";", scan.childSql(context))
        + ";"
        + String.join(";", scan.parentSql(context));
  }
}
