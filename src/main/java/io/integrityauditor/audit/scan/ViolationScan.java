package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record4;
import org.jooq.Result;
import org.jooq.Select;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The query shape shared by row-level kinds: one pass over {@code source} yields the rows checked,
 * the violations and a deterministic sample of violating keys, without a second scan and without
 * collecting every violating key anywhere (docs/performance.md explains the choices with figures).
 *
 * <pre>
 * SELECT count(*)                                   AS rows_checked,
 *        count(*) FILTER (WHERE v.bucket &gt;= 0)      AS violations,
 *        min(ARRAY[v.k0::text COLLATE "C", ...]) FILTER (WHERE v.bucket = 0), max(...) ..., -- B buckets
 * FROM (SELECT CASE WHEN &lt;violation&gt; THEN hashtext(ARRAY[keys]::text) &amp; (B-1) ELSE -1 END AS bucket,
 *              &lt;key columns&gt; AS k0, ...
 *       FROM &lt;source&gt; WHERE &lt;scope&gt;
 *       UNION ALL SELECT NULL, NULL, ... FROM &lt;source&gt; WHERE false) v
 * </pre>
 *
 * Violating rows are spread over B hash buckets; the smallest and largest key of each bucket are
 * kept, so up to 2B candidate keys come back in one row. Buckets depend only on the key, so a
 * violation that persists from one run to the next stays in the sample (which lets alerts tell new
 * keys from persisting ones), and partial results of chunks merge exactly ({@link ScanPartial}).
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
  /** Above this many buckets the aggregate list gets too long: GROUP BY instead. */
  static final int MAX_AGGREGATE_BUCKETS = 32;

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

  /**
   * Buckets: half the sample size (the smallest and the largest key of each make as many candidate
   * keys as the sample holds), or for the GROUP BY shape a power of two at least 64.
   */
  int buckets() {
    if (grouped()) {
      return Integer.highestOneBit(Math.max(64, sampleSize) * 2 - 1);
    }
    return Math.max(1, (sampleSize + 1) / 2);
  }

  private boolean grouped() {
    return sampleSize > MAX_AGGREGATE_BUCKETS * 2;
  }

  /** The sample key of a row, as text in the "C" collation. */
  private Field<String[]> keyArray(List<? extends Field<?>> fields) {
    List<Field<String>> texts = new ArrayList<>();
    for (Field<?> field : fields) {
      // "C" collation: min/max order keys by code point on every server, whatever its default
      // collation, so partial results of chunks merge in Java exactly as PostgreSQL would.
      texts.add(field.cast(SQLDataType.CLOB).collate(DSL.collation(DSL.name("C"))));
    }
    return DSL.array(texts);
  }

  /** The GROUP BY shape's bucket: -1 without violation. */
  private Field<Integer> groupedBucket(Condition violation) {
    return DSL.when(
            violation,
            DSL.bitAnd(
                DSL.function(
                    "hashtext", Integer.class, keyArray(sampleFields).cast(SQLDataType.CLOB)),
                DSL.inline(buckets() - 1)))
        .otherwise(DSL.inline(-1));
  }

  /**
   * The aggregate shape's bucket of a key: a hash of its first column (the primary key, for most
   * kinds), evaluated only for violating rows.
   */
  private Field<Integer> bucketOf(Field<?> firstKey) {
    if (integerFirstKey()) {
      // an integer key is hashed as it is (hashint8), not as text: evaluated per aggregate and
      // per violating row, the text conversion would cost more than the hash
      return DSL.bitAnd(
              DSL.function("hashint8", Integer.class, firstKey.cast(SQLDataType.BIGINT)),
              DSL.inline(Integer.MAX_VALUE))
          .mod(DSL.inline(buckets()));
    }
    // a NULL first column (a unique group of NULLs, a sql kind's key) goes to bucket 0
    return DSL.bitAnd(
            DSL.coalesce(
                DSL.function("hashtext", Integer.class, firstKey.cast(SQLDataType.CLOB)),
                DSL.inline(0)),
            DSL.inline(Integer.MAX_VALUE))
        .mod(DSL.inline(buckets()));
  }

  /** Whether the first sample column is an integer column of the driving table (never NULL). */
  private boolean integerFirstKey() {
    return driving
        .flatMap(d -> d.table().column(sampleNames.get(0)))
        .filter(column -> column.notNull())
        .map(column -> Set.of("int2", "int4", "int8").contains(column.type().baseName()))
        .orElse(false);
  }

  /** The statement, over {@code range}, in the given form. */
  Select<? extends Record> select(DSLContext context, Condition range, boolean semi) {
    Table<?> from = semi ? semiJoin.orElseThrow().source() : source;
    Condition check = semi ? semiJoin.orElseThrow().violation() : violation;
    if (grouped()) {
      return grouped(context, from, check, range);
    }
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
    Field<String[]> key = keyArray(keys);
    Field<Integer> bucket = bucketOf(keys.get(0));
    List<Field<?>> aggregates = new ArrayList<>();
    if (weight == null) {
      aggregates.add(DSL.count().coerce(Long.class).as("n"));
      aggregates.add(DSL.count().filterWhere(violating).coerce(Long.class).as("violations"));
    } else {
      Field<Long> w = rows.field("weight", Long.class);
      aggregates.add(DSL.sum(w).cast(SQLDataType.BIGINT).as("n"));
      aggregates.add(DSL.sum(w).filterWhere(violating).cast(SQLDataType.BIGINT).as("violations"));
    }
    // the filter is a plain boolean column: for a row without violation each aggregate costs two
    // interpreter steps; the bucket and the key array are computed for violating rows only
    for (int b = 0; b < buckets(); b++) {
      Field<String[]> inBucket = DSL.when(bucket.eq(DSL.inline(b)), key);
      aggregates.add(DSL.min(inBucket).filterWhere(violating).as("lo" + b));
      aggregates.add(DSL.max(inBucket).filterWhere(violating).as("hi" + b));
    }
    return context.select(aggregates).from(rows);
  }

  /** The GROUP BY shape, for large samples: one group per bucket, -1 for rows without violation. */
  private Select<Record4<Integer, Long, String[], String[]>> grouped(
      DSLContext context, Table<?> from, Condition check, Condition range) {
    Field<String[]> keyArray = keyArray(sampleFields);
    List<Field<?>> columns =
        new ArrayList<>(
            List.of(bucketOf(check).as("bucket"), DSL.when(check, keyArray).as("sample")));
    if (weight != null) {
      columns.add(weight.as("weight"));
    }
    Table<?> rows = context.select(columns).from(from).where(scope.and(range)).asTable("v");
    Field<Integer> bucketOfRow = rows.field("bucket", Integer.class);
    Field<String[]> sampleOfRow = rows.field("sample", String[].class);
    Field<Long> count =
        weight == null
            ? DSL.count().coerce(Long.class)
            : DSL.sum(rows.field("weight", Long.class)).cast(SQLDataType.BIGINT);
    return context
        .select(
            bucketOfRow,
            count.as("n"),
            DSL.min(sampleOfRow).as("lo"),
            DSL.max(sampleOfRow).as("hi"))
        .from(rows)
        .groupBy(bucketOfRow);
  }

  @Override
  public ScanPartial scan(DSLContext context, Condition range) {
    return scan(context, range, Long.MAX_VALUE);
  }

  @Override
  public ScanPartial scan(DSLContext context, Condition range, long expectedRows) {
    boolean semi = useSemiJoin(context, range, expectedRows);
    Select<? extends Record> select = select(context, range, semi);
    if (grouped()) {
      return partialOfGroups(select.fetch());
    }
    Record row = select.fetchOne();
    long rowsChecked = row.get(0, Long.class) == null ? 0 : row.get(0, Long.class);
    long violations = row.get(1, Long.class) == null ? 0 : row.get(1, Long.class);
    Map<Integer, ScanPartial.Bounds> buckets = new LinkedHashMap<>();
    for (int b = 0; b < buckets(); b++) {
      String[] lo = row.get(2 + 2 * b, String[].class);
      String[] hi = row.get(3 + 2 * b, String[].class);
      if (lo != null) {
        buckets.put(b, new ScanPartial.Bounds(ScanPartial.key(lo), ScanPartial.key(hi)));
      }
    }
    return new ScanPartial(rowsChecked, violations, buckets);
  }

  private static ScanPartial partialOfGroups(Result<? extends Record> groups) {
    long rowsChecked = 0;
    long violations = 0;
    Map<Integer, ScanPartial.Bounds> buckets = new LinkedHashMap<>();
    for (Record group : groups) {
      long count = group.get(1, Long.class);
      int bucket = group.get(0, Integer.class);
      rowsChecked += count;
      if (bucket >= 0) {
        violations += count;
        buckets.put(
            bucket,
            new ScanPartial.Bounds(
                ScanPartial.key(group.get(2, String[].class)),
                ScanPartial.key(group.get(3, String[].class))));
      }
    }
    return new ScanPartial(rowsChecked, violations, buckets);
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
    String sql = context.renderInlined(select(context, range, true));
    String plan =
        String.join("\n", context.fetch("EXPLAIN (VERBOSE) " + sql).getValues(0, String.class));
    return plan.contains("hashed SubPlan");
  }

  @Override
  public Measurement measurement(ScanPartial total) {
    List<SampleKey> samples = new ArrayList<>();
    List<Boolean> numeric =
        sampleFields.stream().map(field -> field.getDataType().isNumeric()).toList();
    for (List<String> key : total.sample(sampleSize, ScanPartial.orderOf(numeric))) {
      Map<String, String> values = new LinkedHashMap<>();
      for (int i = 0; i < sampleNames.size(); i++) {
        values.put(sampleNames.get(i), key.get(i));
      }
      samples.add(new SampleKey(values));
    }
    return new Measurement(total.violations(), total.rowsChecked(), samples, notes);
  }

  @Override
  public Measurement execute(DSLContext context) {
    return measurement(scan(context, DSL.noCondition(), expectedRows()));
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
    return List.of(context.renderInlined(select(context, DSL.noCondition(), semi)));
  }

  @Override
  public String sql(DSLContext context, Condition range) {
    return context.renderInlined(select(context, range, false));
  }
}
