package io.integrityauditor.run;

import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record1;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Splits a driving table into key ranges ("slices") of about equal row counts, from what the target
 * already knows: the key column's histogram in {@code pg_stats} (free: ANALYZE keeps it), refined
 * linearly for integer keys; without statistics, a small {@code TABLESAMPLE SYSTEM} sample of the
 * key. Never {@code OFFSET}: a chunk is a keyset range {@code lower <= key < upper}, the first and
 * last open-ended so that rows inserted meanwhile are covered too. Runs in the caller's READ ONLY
 * transaction.
 */
final class ChunkPlanner {
  /** Slices aim at this many rows: chunks are made of whole slices. */
  static final long SLICE_ROWS = 100_000;

  /** Upper bound on slices, whatever the table's size. */
  static final int MAX_SLICES = 20_000;

  /** Keys sampled when the table has no statistics. */
  static final int SAMPLE_KEYS = 20_000;

  private static final Set<String> INTEGER_TYPES = Set.of("int2", "int4", "int8");

  private ChunkPlanner() {}

  static List<ChunkSlice> plan(DSLContext context, RangeScan scan, ColumnInfo key) {
    return plan(context, scan.table(), scan.column(key), key, UnaryOperator.identity());
  }

  /**
   * @param column the key as the chunk statements name it
   * @param inKeyOrder puts bounds (the column's order) in the order the chunk statements compare
   *     keys, without repeats (a scan across databases compares text byte-wise)
   */
  static List<ChunkSlice> plan(
      DSLContext context,
      TableInfo table,
      Field<Object> column,
      ColumnInfo key,
      UnaryOperator<List<String>> inKeyOrder) {
    long estimatedRows = Math.max(table.estimatedRows(), 0);
    List<String> bounds = histogram(context, table, key);
    if (bounds.size() < 2) {
      Sample sample = sample(context, table, column, estimatedRows);
      bounds = sample.quantiles();
      estimatedRows = Math.max(estimatedRows, sample.estimatedRows());
    }
    if (INTEGER_TYPES.contains(key.type().baseName())) {
      bounds = refineIntegers(bounds, estimatedRows);
    }
    bounds = inKeyOrder.apply(bounds);
    List<ChunkSlice> slices = new ArrayList<>();
    long perSlice = Math.max(1, estimatedRows / (bounds.size() + 1));
    Optional<String> lower = Optional.empty();
    for (String bound : bounds) {
      slices.add(new ChunkSlice(slices.size(), lower, Optional.of(bound), perSlice));
      lower = Optional.of(bound);
    }
    slices.add(new ChunkSlice(slices.size(), lower, Optional.empty(), perSlice));
    return slices;
  }

  /** Distinct histogram bounds of the key in key order (empty without statistics). */
  private static List<String> histogram(DSLContext context, TableInfo table, ColumnInfo key) {
    Field<String> element = DSL.field(DSL.name("b"), SQLDataType.CLOB);
    // histogram_bounds is anyarray: its text form read back as text[] gives the values as text
    var bounds =
        context
            .select(DSL.field("histogram_bounds::text::text[]", SQLDataType.CLOB.array()))
            .from(DSL.table(DSL.name("pg_catalog", "pg_stats")))
            .where(DSL.field(DSL.name("schemaname")).eq(DSL.val(table.id().schema())))
            .and(DSL.field(DSL.name("tablename")).eq(DSL.val(table.id().name())))
            .and(DSL.field(DSL.name("attname")).eq(DSL.val(key.name())))
            .orderBy(DSL.field(DSL.name("inherited")).desc())
            .limit(1)
            .fetchOptional();
    List<String> values = new ArrayList<>();
    if (bounds.isEmpty() || bounds.get().value1() == null) {
      return values;
    }
    for (String value : bounds.get().value1()) {
      if (value != null && (values.isEmpty() || !values.get(values.size() - 1).equals(value))) {
        values.add(value);
      }
    }
    // the first and last bounds are the smallest and largest values seen: keep only inner bounds,
    // the open-ended first and last slices cover the rest
    return values.size() <= 2 ? List.of() : values.subList(1, values.size() - 1);
  }

  private record Sample(List<String> quantiles, long estimatedRows) {}

  /** Quantiles of a page sample of the key, for tables never analysed. */
  private static Sample sample(
      DSLContext context, TableInfo table, Field<Object> column, long estimatedRows) {
    double percent =
        estimatedRows <= 0
            ? 1.0
            : Math.min(100.0, Math.max(0.01, 100.0 * SAMPLE_KEYS / estimatedRows));
    var sampled = DSL.table(DSL.name(table.id().schema(), table.id().name()));
    List<Record1<String>> keys =
        context
            .select(column.cast(SQLDataType.CLOB))
            .from(
                DSL.table(
                    "{0} AS {1} TABLESAMPLE SYSTEM ({2}) REPEATABLE (0)",
                    sampled, DSL.name(column.getQualifiedName().first()), DSL.inline(percent)))
            .where(column.isNotNull())
            .orderBy(column)
            .fetch();
    long rows = Math.round(keys.size() * 100.0 / percent);
    int wanted = (int) Math.min(MAX_SLICES, Math.max(1, rows / SLICE_ROWS));
    List<String> quantiles = new ArrayList<>();
    for (int i = 1; i < wanted && !keys.isEmpty(); i++) {
      String value = keys.get((int) ((long) i * keys.size() / wanted)).value1();
      if (quantiles.isEmpty() || !quantiles.get(quantiles.size() - 1).equals(value)) {
        quantiles.add(value);
      }
    }
    return new Sample(quantiles, rows);
  }

  /** Splits each gap between integer bounds linearly until slices hold about SLICE_ROWS rows. */
  static List<String> refineIntegers(List<String> bounds, long estimatedRows) {
    if (bounds.isEmpty()) {
      return bounds;
    }
    long perGap = estimatedRows / (bounds.size() + 1);
    int split = (int) Math.min(MAX_SLICES / (bounds.size() + 1), Math.max(1, perGap / SLICE_ROWS));
    if (split <= 1) {
      return bounds;
    }
    List<String> refined = new ArrayList<>();
    for (int i = 0; i < bounds.size(); i++) {
      long from = Long.parseLong(bounds.get(i));
      refined.add(bounds.get(i));
      if (i + 1 < bounds.size()) {
        long to = Long.parseLong(bounds.get(i + 1));
        for (int k = 1; k < split; k++) {
          long point = from + (long) ((double) (to - from) * k / split);
          if (point > Long.parseLong(refined.get(refined.size() - 1)) && point < to) {
            refined.add(Long.toString(point));
          }
        }
      }
    }
    return refined;
  }
}
