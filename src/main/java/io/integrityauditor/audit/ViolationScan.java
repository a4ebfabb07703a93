package io.integrityauditor.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
public final class ViolationScan implements AuditQuery {
  private final Table<?> source;
  private final Condition scope;
  private final Condition violation;
  private final List<String> sampleNames;
  private final List<Field<?>> sampleFields;
  private final int sampleSize;
  private final List<String> notes;
  private final List<String> relations;
  private final Field<Long> weight;

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
    this.weight = weight;
    this.source = source;
    this.scope = scope;
    this.violation = violation;
    this.sampleNames = List.copyOf(samples.keySet());
    this.sampleFields = List.copyOf(samples.values());
    this.sampleSize = sampleSize;
    this.notes = List.copyOf(notes);
    this.relations = List.copyOf(relations);
  }

  @Override
  public List<String> relations() {
    return relations;
  }

  /** A power of two at least 64 and at least the sample size. */
  int buckets() {
    return Integer.highestOneBit(Math.max(64, sampleSize) * 2 - 1);
  }

  Select<Record4<Integer, Long, String[], String[]>> select(DSLContext context) {
    List<Field<String>> texts = new ArrayList<>();
    for (Field<?> field : sampleFields) {
      texts.add(field.cast(SQLDataType.CLOB));
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
    Table<?> rows = context.select(columns).from(source).where(scope).asTable("v");
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
  public Measurement execute(DSLContext context) {
    long rowsChecked = 0;
    long violations = 0;
    TreeSet<List<String>> keys = new TreeSet<>(KEY_ORDER);
    for (Record4<Integer, Long, String[], String[]> group : select(context).fetch()) {
      long count = group.value2();
      rowsChecked += count;
      if (group.value1() >= 0) {
        violations += count;
        addKey(keys, group.value3());
        addKey(keys, group.value4());
      }
    }
    List<SampleKey> samples = new ArrayList<>();
    for (List<String> key : keys) {
      if (samples.size() == sampleSize) {
        break;
      }
      Map<String, String> values = new LinkedHashMap<>();
      for (int i = 0; i < sampleNames.size(); i++) {
        values.put(sampleNames.get(i), key.get(i));
      }
      samples.add(new SampleKey(values));
    }
    return new Measurement(violations, rowsChecked, samples, notes);
  }

  @Override
  public List<String> sql(DSLContext context) {
    return List.of(context.renderInlined(select(context)));
  }

  private static void addKey(TreeSet<List<String>> keys, String[] key) {
    if (key != null) {
      keys.add(java.util.Arrays.asList(key));
    }
  }

  /** Element-wise, NULLs last, like PostgreSQL's array ordering. */
  private static final Comparator<List<String>> KEY_ORDER =
      (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
          int byElement =
              Comparator.<String>nullsLast(Comparator.naturalOrder()).compare(a.get(i), b.get(i));
          if (byElement != 0) {
            return byElement;
          }
        }
        return Integer.compare(a.size(), b.size());
      };
}
