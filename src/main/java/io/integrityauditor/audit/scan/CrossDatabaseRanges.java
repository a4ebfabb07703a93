package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * A scan across databases that can run in key ranges (a chunked run, run/ChunkedRun): each range
 * bounds the statements on both servers, the child's rows and the parent's keys of the same range
 * of the reference's first column, compared as the merge compares them; partial results add up.
 */
public interface CrossDatabaseRanges {
  /** The child's table, whose reference's first column ({@link #key()}) is split. */
  TableInfo table();

  /** The child's column the ranges are of. */
  ColumnInfo key();

  /**
   * Range bounds (values of {@link #key()} as text, e.g. the column's histogram) sorted in the
   * order the scan compares keys, without repeats: consecutive bounds make ranges that cover every
   * key exactly once.
   */
  List<String> inKeyOrder(List<String> bounds);

  /**
   * The rows of {@code lower <= key < upper} (an empty bound is open; the last range also holds the
   * rows whose key is NULL), in READ ONLY transactions on both targets (the child's REPEATABLE
   * READ, the parent's READ COMMITTED).
   */
  ScanPartial scan(
      DSLContext child,
      DSLContext parent,
      Optional<String> lower,
      Optional<String> upper,
      Tracking keys,
      Duration timeout);

  /** The audit's result from the merged partials of every range. */
  Measurement measurement(ScanPartial total);
}
