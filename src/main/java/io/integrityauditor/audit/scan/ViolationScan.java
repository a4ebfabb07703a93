package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.ResultQuery;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The query shape shared by row-level kinds: one pass over {@code source} yields the rows checked,
 * the violations and a complete, stable sample of violating keys, without a second scan (docs/
 * performance.md explains the choices with figures).
 *
 * <pre>
 * SELECT a.n, a.violations, s.* FROM (
 *   SELECT count(*) AS n, count(*) FILTER (WHERE v.violating) AS violations,
 *          array_agg(hashtextextended(ARRAY[k0::text, ...]::text, 0)) FILTER (WHERE v.violating) AS fps,
 *          array_agg(v.k0::text) FILTER (WHERE v.violating) AS k0s, ...
 *   FROM (SELECT &lt;violation&gt; AS violating, &lt;key columns&gt; AS k0, ...
 *         FROM &lt;source&gt; WHERE &lt;scope&gt;
 *         UNION ALL SELECT NULL, NULL, ... FROM &lt;source&gt; WHERE false) v) a
 * LEFT JOIN LATERAL (SELECT u.* FROM unnest(a.fps, a.k0s, ...) u(fp, k0, ...)
 *                    ORDER BY u.fp, u.k0, ... LIMIT sample_size) s ON true
 * </pre>
 *
 * The sample is the {@code sample_size} violating keys with the smallest fingerprints (a 64-bit
 * hash of the whole key): with fewer violations than that, every violating key; unchanged data
 * gives the same keys run after run; and partial results of chunks and increments merge exactly
 * ({@link ScanPartial}), so every mode shows the same sample for the same data. Only the violating
 * rows' keys are collected (in the audited server's memory, not the worker's), and only the sample
 * leaves the server.
 *
 * <p>Why this shape: a plain aggregate (no GROUP BY) costs a few nanoseconds per row per aggregate
 * and runs in parallel workers, while a GROUP BY over every row costs a hash-table lookup per row
 * (and PostgreSQL, unable to estimate the number of buckets, plans it without parallelism). The
 * violation is evaluated once per row, in the projection of the inner query; the {@code UNION ALL
 * ... WHERE false} keeps the planner from inlining that projection into every aggregate (which
 * would evaluate the violation, a probe into the parent, once per aggregate) without the cost of
 * {@code OFFSET 0}, which would also forbid parallel workers. For sample sizes above {@link
 * #MAX_AGGREGATE_BUCKETS} buckets, the older GROUP BY shape is used instead.
 *
 * <p>Kinds may offer a second form of the same check ({@link #withSemiJoin}): a violation written
 * with {@code x IN (SELECT key FROM parent)}, which PostgreSQL runs as a hashed subplan, cheaper
 * per row than a hash join. It is used for scans expected to read at least as many rows as the
 * parent holds, and only after {@code EXPLAIN} confirms the subplan is hashed (a non-hashed one
 * would re-read the parent for every row).
 */
public final class ViolationScan implements AuditQuery, RangeScan {
  private final Table<?> source;
  private final Condition scope;
  private final Condition violation;
  private final List<String> sampleNames;
  private final List<Field<?>> sampleFields;
  private final int sampleSize;
  private final List<String> notes;
  private final List<String> relations;
  private final Field<Long> weight;
  private final Optional<Driving> driving;
  private final Optional<SemiJoin> semiJoin;

  /** The table whose rows may be split into ranges, and its alias in {@code source}. */
  private record Driving(TableInfo table, String alias) {}

  /**
   * The same check written as a semi-join on the driving table alone.
   *
   * @param parentRows the parent's estimated rows: the form pays off for scans reading as many
   */
  private record SemiJoin(Table<?> source, Condition violation, long parentRows) {}

  /**
   * @param source the FROM clause (tables, joins)
   * @param scope rows to examine (the denominator); {@code noCondition()} for all
   * @param violation true for a violating row
   * @param samples name → expression of each key column shown in samples
   * @param sampleSize how many keys to return
   * @param notes findings to attach to every result (e.g. type alignment)
   * @param relations the tables it reads, for error messages
   */
  public ViolationScan(
      List<String> relations,
      Table<?> source,
      Condition scope,
      Condition violation,
      Map<String, Field<?>> samples,
      int sampleSize,
      List<String> notes) {
    this(relations, source, scope, violation, samples, sampleSize, notes, null);
  }

  /**
   * @param weight how many rows each source row stands for (e.g. the size of a group when the
   *     source is already grouped); null for one row each
   */
  public ViolationScan(
      List<String> relations,
      Table<?> source,
      Condition scope,
      Condition violation,
      Map<String, Field<?>> samples,
      int sampleSize,
      List<String> notes,
      Field<Long> weight) {
    this(
        relations,
        source,
        scope,
        violation,
        List.copyOf(samples.keySet()),
        List.copyOf(samples.values()),
        sampleSize,
        notes,
        weight,
        Optional.empty(),
        Optional.empty());
  }

  private ViolationScan(
      List<String> relations,
      Table<?> source,
      Condition scope,
      Condition violation,
      List<String> sampleNames,
      List<Field<?>> sampleFields,
      int sampleSize,
      List<String> notes,
      Field<Long> weight,
      Optional<Driving> driving,
      Optional<SemiJoin> semiJoin) {
    this.weight = weight;
    this.source = source;
    this.scope = scope;
    this.violation = violation;
    this.sampleNames = sampleNames;
    this.sampleFields = sampleFields;
    this.sampleSize = sampleSize;
    this.notes = List.copyOf(notes);
    this.relations = List.copyOf(relations);
    this.driving = driving;
    this.semiJoin = semiJoin;
  }

  /**
   * The same scan, able to run over ranges of {@code table}'s rows ({@link RangeScan}): every row
   * of the source must come from exactly one row of {@code table}, which appears as {@code alias}.
   */
  public ViolationScan rangedOver(TableInfo table, String alias) {
    if (weight != null) {
      throw new IllegalStateException("a weighted (pre-grouped) scan cannot be split into ranges");
    }
    return new ViolationScan(
        relations,
        source,
        scope,
        violation,
        sampleNames,
        sampleFields,
        sampleSize,
        notes,
        weight,
        Optional.of(new Driving(table, alias)),
        semiJoin);
  }

  /**
   * The same scan with a second form of its check on {@code source} alone (the driving table):
   * {@code violation} written with a semi-join subquery that PostgreSQL can hash.
   */
  public ViolationScan withSemiJoin(Table<?> source, Condition violation, long parentRows) {
    return new ViolationScan(
        relations,
        this.source,
        scope,
        this.violation,
        sampleNames,
        sampleFields,
        sampleSize,
        notes,
        weight,
        driving,
        Optional.of(new SemiJoin(source, violation, Math.max(0, parentRows))));
  }

  @Override
  public List<String> relations() {
    return relations;
  }

  @Override
  public Optional<RangeScan> rangeScan() {
    return driving.isPresent() ? Optional.of(this) : Optional.empty();
  }

  @Override
  public TableInfo table() {
    return driving.orElseThrow().table();
  }

  @Override
  public Field<Object> column(ColumnInfo column) {
    return QueryParts.field(driving.orElseThrow().alias(), column);
  }

  /** A key column's value as text, in the "C" collation (code point order on every server). */
  private static Field<String> text(Field<?> field) {
    return field.cast(SQLDataType.CLOB).collate(DSL.collation(DSL.name("C")));
  }

  /**
   * The fingerprint of a key: PostgreSQL's 64-bit {@code hashtextextended} of the text array of all
   * its columns (NULL and the text 'NULL' differ in it), the same in every mode and on every node
   * (and in a scan across databases, audit/crossdb).
   */
  public static Field<Long> fingerprint(List<? extends Field<?>> keys) {
    List<Field<String>> texts = new ArrayList<>();
    for (Field<?> key : keys) {
      texts.add(text(key));
    }
    return DSL.function(
        "hashtextextended", Long.class, DSL.array(texts).cast(SQLDataType.CLOB), DSL.inline(0L));
  }

  /**
   * The statement, over {@code range}, in the given form; with {@code cap > 0} it also returns the
   * fingerprints of up to {@code cap} violating keys, in rows of {@link KeySink#BATCH}.
   */
  ResultQuery<Record> select(DSLContext context, Condition range, boolean semi, int cap) {
    Table<?> from = semi ? semiJoin.orElseThrow().source() : source;
    Condition check = semi ? semiJoin.orElseThrow().violation() : violation;
    // the inner projection: the violation, evaluated once, and the raw key columns
    List<Field<?>> columns = new ArrayList<>();
    List<Field<?>> dummy = new ArrayList<>();
    columns.add(DSL.field(check).as("violating"));
    dummy.add(DSL.inline((Boolean) null, SQLDataType.BOOLEAN).as("violating"));
    for (int i = 0; i < sampleFields.size(); i++) {
      columns.add(sampleFields.get(i).as("k" + i));
      dummy.add(DSL.inline((Object) null).as("k" + i));
    }
    if (weight != null) {
      columns.add(weight.as("weight"));
      dummy.add(DSL.inline((Long) null, SQLDataType.BIGINT).as("weight"));
    }
    // UNION ALL with an empty branch: an appendrel, whose members project their columns once per
    // row, and which (unlike OFFSET 0) still runs in parallel workers. The empty branch reads the
    // same tables WHERE false, so that the planner drops it as provably empty: a branch without
    // FROM stays in the plan as a Result node, and PostgreSQL 15 then plans the whole statement
    // without parallel workers (measured: 2.6 x the anti-join instead of 1.2 x).
    Table<?> rows =
        context
            .select(columns)
            .from(from)
            .where(scope.and(range))
            .unionAll(DSL.select(dummy).from(from).where(DSL.falseCondition()))
            .asTable("v");
    Condition violating = DSL.condition(rows.field("violating", Boolean.class));
    List<Field<?>> keys = new ArrayList<>();
    for (int i = 0; i < sampleFields.size(); i++) {
      keys.add(rows.field("k" + i));
    }
    List<Field<?>> aggregates = new ArrayList<>();
    if (weight == null) {
      aggregates.add(DSL.count().coerce(Long.class).as("n"));
      aggregates.add(DSL.count().filterWhere(violating).coerce(Long.class).as("violations"));
    } else {
      Field<Long> w = rows.field("weight", Long.class);
      aggregates.add(DSL.sum(w).cast(SQLDataType.BIGINT).as("n"));
      aggregates.add(DSL.sum(w).filterWhere(violating).cast(SQLDataType.BIGINT).as("violations"));
    }
    // for a row without violation each aggregate costs a filter test on a plain boolean column;
    // the fingerprint and the key texts are computed for violating rows only. Every aggregate of
    // one statement sees the rows in the same order (also when parallel workers' partial arrays
    // are combined), so the arrays line up element by element.
    // the fingerprint identifies the key: a weighted scan's weight (a group's size, shown in the
    // sample) is left out, so a group that grows is the same key
    List<Field<?>> identity = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      if (weight == null || !sampleFields.get(i).equals(weight)) {
        identity.add(keys.get(i));
      }
    }
    aggregates.add(DSL.arrayAgg(fingerprint(identity)).filterWhere(violating).as("fps"));
    for (int i = 0; i < keys.size(); i++) {
      aggregates.add(DSL.arrayAgg(text(keys.get(i))).filterWhere(violating).as("k" + i + "s"));
    }
    boolean weighted = weight != null && cap > 0;
    if (weighted) {
      aggregates.add(
          DSL.arrayAgg(rows.field("weight", Long.class)).filterWhere(violating).as("ws"));
    }
    List<String> arrays = new ArrayList<>(List.of("a.fps"));
    List<String> names = new ArrayList<>(List.of("fp"));
    for (int i = 0; i < keys.size(); i++) {
      arrays.add("a.k" + i + "s");
      names.add("k" + i);
    }
    List<String> order = names.stream().map(name -> "u." + name).toList();
    // the candidates: the violating keys with the smallest fingerprints, a top-N sort over the
    // violating rows only (bounded memory), after the one pass over every row
    String head =
        "SELECT a.n, a.violations, s.*"
            + (cap > 0 ? ", NULL::bigint[] AS fp_batch, NULL::bigint[] AS w_batch" : "")
            + " FROM a LEFT JOIN LATERAL (SELECT "
            + String.join(", ", order)
            + " FROM unnest("
            + String.join(", ", arrays)
            + ") AS u("
            + String.join(", ", names)
            + ") ORDER BY "
            + String.join(", ", order)
            + " LIMIT {1}) AS s ON true";
    if (cap == 0) {
      return context.resultQuery(
          "WITH a AS ({0}) " + head, context.select(aggregates).from(rows), DSL.inline(sampleSize));
    }
    // every fingerprint (up to the cap), in slices of the array, one row each: streamed to the
    // worker, which passes them on to the store without holding them all
    String nulls = ", NULL".repeat(2 + names.size());
    String batches =
        " UNION ALL SELECT NULL"
            + nulls.substring(", NULL".length())
            + ", a.fps[i * {2} + 1 : (i + 1) * {2}], "
            + (weighted ? "a.ws[i * {2} + 1 : (i + 1) * {2}]" : "NULL::bigint[]")
            + " FROM a, generate_series(0, (cardinality(a.fps) - 1) / {2}) AS i"
            + " WHERE a.fps IS NOT NULL AND i * {2} < {3}";
    return context.resultQuery(
        "WITH a AS ({0}) " + head + batches,
        context.select(aggregates).from(rows),
        DSL.inline(sampleSize),
        DSL.inline(KeySink.BATCH),
        DSL.inline(cap));
  }

  @Override
  public ScanPartial scan(DSLContext context, Condition range, long expectedRows, Tracking keys) {
    boolean semi = useSemiJoin(context, range, expectedRows);
    int cap = keys.sink().cap();
    if (cap == 0) {
      return partial(select(context, range, semi, 0).fetch());
    }
    try (KeySink.Part part = keys.sink().open(keys.part());
        Cursor<Record> cursor = select(context, range, semi, cap).fetchSize(1).fetchLazy()) {
      List<Record> head = new ArrayList<>();
      for (Record row : cursor) {
        Long[] batch = row.get("fp_batch", Long[].class);
        if (batch == null) {
          head.add(row);
        } else {
          Long[] weights = row.get("w_batch", Long[].class);
          part.add(unboxed(batch), weights == null ? null : unboxed(weights));
        }
      }
      ScanPartial partial = partial(head);
      part.commit();
      return partial;
    }
  }

  private static long[] unboxed(Long[] values) {
    long[] unboxed = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      unboxed[i] = values[i];
    }
    return unboxed;
  }

  /** The counts and candidates of the statement's head rows (one per candidate, at least one). */
  private ScanPartial partial(List<? extends Record> rows) {
    Record first = rows.get(0);
    long rowsChecked = first.get(0, Long.class) == null ? 0 : first.get(0, Long.class);
    long violations = first.get(1, Long.class) == null ? 0 : first.get(1, Long.class);
    List<ScanPartial.Candidate> candidates = new ArrayList<>();
    for (Record row : rows) {
      Long fingerprint = row.get(2, Long.class);
      if (fingerprint != null) {
        List<String> key = new ArrayList<>();
        for (int i = 0; i < sampleFields.size(); i++) {
          key.add(row.get(3 + i, String.class));
        }
        candidates.add(new ScanPartial.Candidate(fingerprint, key));
      }
    }
    return new ScanPartial(rowsChecked, violations, candidates, sampleSize);
  }

  @Override
  public ScanPartial scan(DSLContext context, Condition range) {
    return scan(context, range, Long.MAX_VALUE, Tracking.NONE);
  }

  /**
   * Whether to run the semi-join form: it exists, the range is expected to read at least as many
   * rows as the parent holds (else a join lets the planner probe the parent's index instead of
   * hashing all of it), and the planner hashes its subplan.
   */
  private boolean useSemiJoin(DSLContext context, Condition range, long expectedRows) {
    if (semiJoin.isEmpty() || expectedRows < Math.max(1, semiJoin.get().parentRows())) {
      return false;
    }
    String sql = context.renderInlined(select(context, range, true, 0));
    String plan =
        String.join("\n", context.fetch("EXPLAIN (VERBOSE) " + sql).getValues(0, String.class));
    return plan.contains("hashed SubPlan");
  }

  @Override
  public Measurement measurement(ScanPartial total) {
    List<Boolean> numeric = new ArrayList<>();
    for (Field<?> field : sampleFields) {
      numeric.add(field.getDataType().isNumeric());
    }
    return total.measurement(sampleNames, numeric, notes);
  }

  @Override
  public Measurement execute(DSLContext context) {
    return execute(context, KeySink.NONE);
  }

  @Override
  public Measurement execute(DSLContext context, KeySink keys) {
    return measurement(
        scan(context, DSL.noCondition(), expectedRows(), new Tracking(keys, Tracking.FULL)));
  }

  /** The rows a full run reads, by the catalog's estimate (unknown: as many as possible). */
  private long expectedRows() {
    long expected = driving.map(d -> d.table().estimatedRows()).orElse(Long.MAX_VALUE);
    return expected < 0 ? Long.MAX_VALUE : expected;
  }

  /**
   * The statement a full run executes, chosen as {@link #execute} chooses it: the semi-join form
   * only when the planner on this connection hashes its subplan (with a small {@code work_mem} it
   * does not, and the run uses the join form; {@code explain} must show that one).
   */
  @Override
  public List<String> sql(DSLContext context) {
    boolean semi = useSemiJoin(context, DSL.noCondition(), expectedRows());
    return List.of(context.renderInlined(select(context, DSL.noCondition(), semi, 0)));
  }

  @Override
  public String sql(DSLContext context, Condition range) {
    return context.renderInlined(select(context, range, false, 0));
  }
}
