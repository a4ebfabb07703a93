package io.integrityauditor.audit;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record4;
import org.jooq.Select;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The query shape shared by row-level kinds: one pass over {@code source} yields the rows checked,
 * the violations and a deterministic sample of violating keys, without a second scan and without
 * collecting every violating key anywhere.
 *
 * <pre>
 * SELECT bucket, count(*) AS n, min(sample) AS lo, max(sample) AS hi
 * FROM (SELECT CASE WHEN &lt;violation&gt; THEN hashtext(sample::text) &amp; (B-1) ELSE -1 END AS bucket,
 *              CASE WHEN &lt;violation&gt; THEN ARRAY[key1::text, ...] END AS sample
 *       FROM &lt;source&gt; WHERE &lt;scope&gt;) v
 * GROUP BY bucket
 * </pre>
 *
 * Violating rows are spread over B hash buckets; the smallest and largest key of each bucket are
 * kept, so up to 2B sample keys come back in one aggregate of B+1 groups. Buckets depend only on
 * the key, so a violation that persists from one run to the next stays in the sample (which lets
 * alerts tell new keys from persisting ones). Bucket -1 holds the rows without violation.
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

  /** The table whose rows may be split into ranges, and its alias in {@code source}. */
  private record Driving(TableInfo table, String alias) {}

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
  ViolationScan(
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
      Optional<Driving> driving) {
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
  }

  /**
   * The same scan, able to run over ranges of {@code table}'s rows ({@link RangeScan}): every row
   * of the source must come from exactly one row of {@code table}, which appears as {@code alias}.
   */
  ViolationScan rangedOver(TableInfo table, String alias) {
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
        Optional.of(new Driving(table, alias)));
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

  /** A power of two at least 64 and at least the sample size. */
  int buckets() {
    return Integer.highestOneBit(Math.max(64, sampleSize) * 2 - 1);
  }

  Select<Record4<Integer, Long, String[], String[]>> select(DSLContext context, Condition range) {
    List<Field<String>> texts = new ArrayList<>();
    for (Field<?> field : sampleFields) {
      // "C" collation: min/max order keys by code point on every server, whatever its default
      // collation, so partial results of chunks merge in Java exactly as PostgreSQL would.
      texts.add(field.cast(SQLDataType.CLOB).collate(DSL.collation(DSL.name("C"))));
    }
    Field<String[]> keyArray = DSL.array(texts);
    Field<Integer> bucket =
        DSL.when(
                violation,
                DSL.bitAnd(
                    DSL.function("hashtext", Integer.class, keyArray.cast(SQLDataType.CLOB)),
                    DSL.inline(buckets() - 1)))
            .otherwise(DSL.inline(-1))
            .as("bucket");
    Field<String[]> sample = DSL.when(violation, keyArray).as("sample");
    List<Field<?>> columns = new ArrayList<>(List.of(bucket, sample));
    if (weight != null) {
      columns.add(weight.as("weight"));
    }
    Table<?> rows = context.select(columns).from(source).where(scope.and(range)).asTable("v");
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
    long rowsChecked = 0;
    long violations = 0;
    Map<Integer, ScanPartial.Bounds> buckets = new LinkedHashMap<>();
    for (Record4<Integer, Long, String[], String[]> group : select(context, range).fetch()) {
      long count = group.value2();
      rowsChecked += count;
      if (group.value1() >= 0) {
        violations += count;
        buckets.put(
            group.value1(),
            new ScanPartial.Bounds(
                ScanPartial.key(group.value3()), ScanPartial.key(group.value4())));
      }
    }
    return new ScanPartial(rowsChecked, violations, buckets);
  }

  @Override
  public Measurement measurement(ScanPartial total) {
    List<SampleKey> samples = new ArrayList<>();
    for (List<String> key : total.sample(sampleSize)) {
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
    return measurement(scan(context, DSL.noCondition()));
  }

  @Override
  public List<String> sql(DSLContext context) {
    return List.of(sql(context, DSL.noCondition()));
  }

  @Override
  public String sql(DSLContext context, Condition range) {
    return context.renderInlined(select(context, range));
  }
}
