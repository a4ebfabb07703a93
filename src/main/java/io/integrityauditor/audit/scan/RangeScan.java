package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.List;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;

/**
 * An audit whose one pass can be restricted to a range of its driving table's rows (the child of an
 * orphan audit), and whose partial results add up: what chunked runs (ranges of the primary key,
 * each in its own short transaction, possibly on several nodes) and incremental runs (the rows past
 * a watermark) are built on. {@link #scan} runs inside the caller's READ ONLY transaction.
 */
public interface RangeScan {
  /** The table whose rows are split into ranges. */
  TableInfo table();

  /** A column of {@link #table()} as the query names it (qualified by its alias). */
  Field<Object> column(ColumnInfo column);

  /**
   * One pass over the rows of {@link #table()} within {@code range} ({@code noCondition()}: all).
   */
  ScanPartial scan(DSLContext context, Condition range);

  /**
   * The same, knowing about how many rows the range holds (the query form may depend on it: a small
   * range probes the parent's index, a large one hashes the parent), sending the fingerprints of
   * its violating keys to {@code keys}.
   */
  ScanPartial scan(DSLContext context, Condition range, long expectedRows, Tracking keys);

  /** The SQL of {@link #scan} over {@code range}, bind values inlined. */
  String sql(DSLContext context, Condition range);

  /** The audit's result from the merged partials of every range. */
  Measurement measurement(ScanPartial total);

  /** The tables it reads, for error messages. */
  List<String> relations();
}
