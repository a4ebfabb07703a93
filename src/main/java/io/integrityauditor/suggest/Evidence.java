package io.integrityauditor.suggest;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.targets.Pools;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.jooq.CaseConditionStep;
import org.jooq.CommonTableExpression;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Name;
import org.jooq.Record;
import org.jooq.SelectField;
import org.jooq.Table;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Measures how well the data supports candidate references, at bounded cost: the child's values are
 * read from a sample of at most {@code sampleRows} rows (the whole table when it is smaller; {@code
 * TABLESAMPLE SYSTEM ... REPEATABLE} when it is larger, so the same table gives the same sample),
 * and each distinct value is looked up in each candidate parent through the parent's unique key,
 * i.e. its index. Every query runs in its own READ ONLY transaction with statement, lock and idle
 * timeouts, like an audit; nothing is written.
 */
final class Evidence {
  /** {@code REPEATABLE} seed: the same table gives the same sample, run after run. */
  private static final int SEED = 20_240_601;

  /** Never queue behind a migration's lock for longer than this (or the statement timeout). */
  private static final long LOCK_TIMEOUT_MS = 5000;

  /** A counter's values occupy the bottom of a key range this many times larger than them. */
  static final int COUNTER_SPREAD = 20;

  /** ... and each of its values is used by this many rows on average. */
  static final int COUNTER_REPEATS = 10;

  /** How the child's rows were read. */
  enum SampleKind {
    WHOLE_TABLE,
    FIRST_ROWS,
    TABLESAMPLE
  }

  /**
   * What was read from the child.
   *
   * @param rows rows read
   * @param percent the TABLESAMPLE percentage, when sampled
   * @param nonNullRows rows whose reference columns are all non-null
   * @param distinct distinct non-null values (tuples, for composite references)
   * @param min smallest value, for one integer column
   * @param max largest value, for one integer column
   */
  record Sample(
      SampleKind kind,
      long rows,
      String percent,
      long nonNullRows,
      long distinct,
      OptionalLong min,
      OptionalLong max) {

    /** {@code the whole table (523 rows)}, {@code a 10,000-row sample}. */
    String describe() {
      return switch (kind) {
        case WHOLE_TABLE -> "the whole table (" + count(rows) + " rows)";
        case FIRST_ROWS -> "the first " + count(rows) + " rows";
        case TABLESAMPLE ->
            "a " + count(rows) + "-row sample (TABLESAMPLE SYSTEM " + percent + "%)";
      };
    }
  }

  /**
   * The evidence for one candidate.
   *
   * @param found distinct child values found in the parent
   * @param foundRows sampled rows whose value was found
   * @param asText compared as text (the types are not comparable natively)
   * @param parentKeys for a counter-shaped child (small consecutive integers), how many keys the
   *     parent has, counted up to {@code COUNTER_SPREAD * max + 1}
   */
  record Measure(
      Candidate candidate,
      Sample sample,
      long found,
      long foundRows,
      boolean asText,
      OptionalLong parentKeys) {

    /** The share of distinct values found: the figure the minimum coverage applies to. */
    double coverage() {
      return sample.distinct() == 0 ? 0 : (double) found / sample.distinct();
    }

    /** The share of rows whose value was found. */
    double rowCoverage() {
      return sample.nonNullRows() == 0 ? 0 : (double) foundRows / sample.nonNullRows();
    }

    /**
     * Enough of the data is found: the distinct values reach the minimum, or (a reference with a
     * few orphan values used by few rows: 3 of 4 workspaces, 4,990 of 5,000 rows) the rows reach it
     * and most distinct values are found.
     */
    boolean supports(double minimum) {
      return sample.distinct() > 0
          && (coverage() >= minimum || (rowCoverage() >= minimum && found * 2 > sample.distinct()));
    }

    /**
     * Small consecutive integers from 0 or 1 at the very bottom of a much larger key range: a
     * counter or position ({@code step_id} 1..6), not a reference, even when every value is found.
     */
    boolean counterLike() {
      return parentKeys.isPresent()
          && parentKeys.getAsLong() >= COUNTER_SPREAD * sample.max().orElse(0);
    }

    /** {@code 998/1,000 distinct values (99.8%), 9,990/10,000 rows (99.9%)}. */
    String describeCoverage() {
      return count(found)
          + "/"
          + count(sample.distinct())
          + " distinct values ("
          + percent(found, sample.distinct())
          + "), "
          + count(foundRows)
          + "/"
          + count(sample.nonNullRows())
          + " rows ("
          + percent(foundRows, sample.nonNullRows())
          + ")";
    }
  }

  private final Connection connection;
  private final Catalog catalog;
  private final SuggestSettings settings;

  Evidence(Connection connection, Catalog catalog, SuggestSettings settings) {
    this.connection = connection;
    this.catalog = catalog;
    this.settings = settings;
  }

  /**
   * Measures candidates that share the same child columns, in one query over one sample.
   *
   * @throws SQLException when the query fails (timeout, permissions...): no evidence
   */
  List<Measure> measure(List<Candidate> candidates) throws SQLException {
    Side child = candidates.get(0).child();
    int limit = settings.sampleRows();
    BigDecimal percent = samplePercent(child.table());
    Table<?> source = sampled(child.table(), percent);
    int width = child.columns().size();
    List<Field<Object>> childFields = new ArrayList<>();
    List<Name> values = new ArrayList<>();
    for (int i = 0; i < width; i++) {
      childFields.add(DSL.field(DSL.name("c", child.columns().get(i).name())));
      values.add(DSL.name("v" + (i + 1)));
    }
    // s: the sampled rows; d: their distinct non-null values with how many rows hold each;
    // m: per value and candidate, whether the parent has it (each lookup made once)
    Name s = DSL.name("s");
    Name d = DSL.name("d");
    Name m = DSL.name("m");
    Name n = DSL.name("n");
    CommonTableExpression<?> sampled =
        s.fields(values.toArray(Name[]::new)).as(DSL.select(childFields).from(source).limit(limit));
    List<Name> withCount = new ArrayList<>(values);
    withCount.add(n);
    List<SelectField<?>> grouped = new ArrayList<>(fields("s", values));
    grouped.add(DSL.count());
    CommonTableExpression<?> distinct =
        d.fields(withCount.toArray(Name[]::new))
            .as(
                DSL.select(grouped)
                    .from(DSL.table(s))
                    .where(allPresent("s", values))
                    .groupBy(fields("s", values)));

    List<Name> flagged = new ArrayList<>(List.of(DSL.name("v1"), n));
    List<SelectField<?>> flags = new ArrayList<>();
    flags.add(DSL.field(DSL.name("d", "v1")));
    flags.add(DSL.field(DSL.name("d", "n")));
    List<Boolean> asText = new ArrayList<>();
    for (int k = 0; k < candidates.size(); k++) {
      Candidate candidate = candidates.get(k);
      flagged.add(DSL.name("f" + k));
      boolean text = !candidate.comparable();
      asText.add(text);
      Table<?> parent = DSL.table(name(candidate.parent().table())).as("p");
      if (text) {
        // Not comparable natively (text vs uuid): compare text forms. An uncorrelated IN is one
        // (hashed) pass over the parent, where a correlated lookup would scan it per value.
        Field<String> key =
            asText(DSL.field(DSL.name("p", candidate.parent().columns().get(0).name())));
        flags.add(
            DSL.field(asText(DSL.field(DSL.name("d", "v1"))).in(DSL.select(key).from(parent))));
        continue;
      }
      Condition match = DSL.noCondition();
      for (int i = 0; i < width; i++) {
        ColumnInfo keyColumn = candidate.parent().columns().get(i);
        Field<Object> key = DSL.field(DSL.name("p", keyColumn.name()));
        Field<Object> value = DSL.field(DSL.name("d", values.get(i).last()));
        match = match.and(key.eq(likeKey(value, child.columns().get(i), keyColumn)));
      }
      // correlated on the parent's unique key: one index lookup per distinct value
      flags.add(DSL.field(DSL.exists(DSL.selectOne().from(parent).where(match))));
    }
    CommonTableExpression<?> matched =
        m.fields(flagged.toArray(Name[]::new)).as(DSL.select(flags).from(DSL.table(d)));

    Field<Long> rowsOf = DSL.field(DSL.name("m", "n"), Long.class);
    List<SelectField<?>> select = new ArrayList<>();
    select.add(DSL.field(DSL.selectCount().from(DSL.table(s))));
    select.add(DSL.coalesce(DSL.sum(rowsOf), DSL.inline(BigDecimal.ZERO)));
    select.add(DSL.count());
    for (int k = 0; k < candidates.size(); k++) {
      Condition found = DSL.condition(DSL.field(DSL.name("m", "f" + k), Boolean.class));
      select.add(DSL.count().filterWhere(found));
      select.add(DSL.coalesce(DSL.sum(rowsOf).filterWhere(found), DSL.inline(BigDecimal.ZERO)));
    }
    boolean integer = width == 1 && child.columns().get(0).type().isInteger();
    Field<Object> first = DSL.field(DSL.name("m", "v1"));
    select.add(integer ? DSL.min(first) : DSL.inline((Object) null));
    select.add(integer ? DSL.max(first) : DSL.inline((Object) null));

    Record row =
        inTransaction(
            context ->
                context
                    .with(sampled)
                    .with(distinct)
                    .with(matched)
                    .select(select)
                    .from(DSL.table(m))
                    .fetchOne());
    long rows = number(row.get(0));
    SampleKind kind = sampleKind(percent, rows);
    int after = 3 + 2 * candidates.size();
    OptionalLong min = optional(row.get(after));
    OptionalLong max = optional(row.get(after + 1));
    Sample sample =
        new Sample(
            kind,
            rows,
            percent == null ? null : percent.toPlainString(),
            number(row.get(1)),
            number(row.get(2)),
            min,
            max);

    List<Measure> measures = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      Candidate candidate = candidates.get(i);
      long found = number(row.get(3 + 2 * i));
      long foundRows = number(row.get(4 + 2 * i));
      OptionalLong parentKeys = OptionalLong.empty();
      if (counterShaped(sample, candidate) && found == sample.distinct()) {
        long cap = COUNTER_SPREAD * max.getAsLong() + 1;
        parentKeys = OptionalLong.of(countUpTo(candidate.parent().table(), cap));
      }
      measures.add(new Measure(candidate, sample, found, foundRows, asText.get(i), parentKeys));
    }
    return measures;
  }

  /**
   * The TABLESAMPLE percentage that reads about twice {@code --sample-rows} rows of a table; null
   * when the table is small enough to read whole.
   */
  private BigDecimal samplePercent(TableInfo table) {
    long estimate = estimatedRows(table);
    int limit = settings.sampleRows();
    if (estimate <= limit) {
      return null;
    }
    // aim for twice the rows wanted: SYSTEM picks whole pages, so the count varies, and LIMIT,
    // not bad luck, should decide the sample size
    BigDecimal percent =
        BigDecimal.valueOf(100.0 * limit * 2 / estimate)
            .round(new MathContext(2, RoundingMode.UP))
            .stripTrailingZeros();
    return percent.compareTo(BigDecimal.valueOf(100)) >= 0 ? null : percent;
  }

  /** The table as {@code c}, sampled at {@code percent} (whole when null). */
  private static Table<?> sampled(TableInfo table, BigDecimal percent) {
    Name c = DSL.name("c");
    return percent == null
        ? DSL.table(name(table)).as(c)
        : DSL.table(
            "{0} AS {1} TABLESAMPLE SYSTEM ({2}) REPEATABLE ({3})",
            name(table), c, DSL.inline(percent), DSL.inline(SEED));
  }

  private SampleKind sampleKind(BigDecimal percent, long rows) {
    return percent != null
        ? SampleKind.TABLESAMPLE
        : rows < settings.sampleRows() ? SampleKind.WHOLE_TABLE : SampleKind.FIRST_ROWS;
  }

  /** At most this many type values of a polymorphic reference are read and mapped. */
  static final int MAX_TYPE_VALUES = 20;

  /**
   * The type values of a polymorphic reference, as the sample has them, most rows first.
   *
   * @param sample what was read: its distinct and non-null counts are of rows with a type and id
   * @param values per type value, its sample of ids (distinct and rows of that type only)
   * @param more more type values than {@link #MAX_TYPE_VALUES} were seen
   */
  record TypeValues(Sample sample, Map<String, Sample> values, boolean more) {}

  /**
   * Reads the type values of a polymorphic reference, and how many ids each has, from the same
   * bounded sample {@link #measure} reads.
   */
  TypeValues typeValues(Inference.PolymorphicPair pair) throws SQLException {
    BigDecimal percent = samplePercent(pair.id().table());
    Name s = DSL.name("s");
    Field<String> type = DSL.field(DSL.name("s", "t"), String.class);
    Field<Object> id = DSL.field(DSL.name("s", "v"));
    CommonTableExpression<?> rows = typedRows(pair, percent);
    List<? extends Record> found =
        inTransaction(
            context ->
                context
                    .with(rows)
                    .select(
                        type,
                        DSL.countDistinct(id),
                        DSL.count(),
                        DSL.field(DSL.selectCount().from(DSL.table(s))))
                    .from(DSL.table(s))
                    .where(type.isNotNull().and(id.isNotNull()))
                    .groupBy(type)
                    .orderBy(DSL.count().desc(), type)
                    .limit(MAX_TYPE_VALUES + 1)
                    .fetch());
    long read =
        found.isEmpty()
            ? inTransaction(
                c -> c.with(rows).selectCount().from(DSL.table(s)).fetchOne(0, long.class))
            : number(found.get(0).get(3));
    Map<String, Sample> values = new LinkedHashMap<>();
    long distinct = 0;
    long withType = 0;
    for (Record r : found.subList(0, Math.min(found.size(), MAX_TYPE_VALUES))) {
      Sample of = typedSample(percent, read, number(r.get(2)), number(r.get(1)));
      values.put(r.get(0, String.class), of);
      distinct += of.distinct();
      withType += of.nonNullRows();
    }
    Sample sample = typedSample(percent, read, withType, distinct);
    return new TypeValues(sample, values, found.size() > MAX_TYPE_VALUES);
  }

  /** What was read for a polymorphic reference: no integer range (ids of several tables). */
  private Sample typedSample(BigDecimal percent, long read, long rows, long distinct) {
    return new Sample(
        sampleKind(percent, read),
        read,
        percent == null ? null : percent.toPlainString(),
        rows,
        distinct,
        OptionalLong.empty(),
        OptionalLong.empty());
  }

  /**
   * Measures, for each type value of a polymorphic reference and the parent it names, how many of
   * its ids the parent has: one query, each id looked up in its own type's parent only.
   */
  List<Measure> measurePolymorphic(
      Inference.PolymorphicPair pair, TypeValues types, Map<String, Candidate> parents)
      throws SQLException {
    BigDecimal percent = samplePercent(pair.id().table());
    Name s = DSL.name("s");
    Name d = DSL.name("d");
    Name m = DSL.name("m");
    Field<String> sType = DSL.field(DSL.name("s", "t"), String.class);
    Field<Object> sId = DSL.field(DSL.name("s", "v"));
    // a parent keyed together with a tenant column (auth.users(id, instance_id)) is looked up by
    // both: the id alone is found in any tenant, and an id of another tenant is no parent
    List<ColumnInfo> extra = new ArrayList<>();
    for (Candidate candidate : parents.values()) {
      for (ColumnInfo column : candidate.child().columns()) {
        if (!column.name().equals(pair.id().columns().get(0).name()) && !extra.contains(column)) {
          extra.add(column);
        }
      }
    }
    CommonTableExpression<?> rows = typedRows(pair, percent, extra);
    List<Field<?>> sFields = new ArrayList<>(List.of(sType, sId));
    List<String> dNames = new ArrayList<>(List.of("t", "v"));
    for (int i = 0; i < extra.size(); i++) {
      sFields.add(DSL.field(DSL.name("s", "x" + i)));
      dNames.add("x" + i);
    }
    List<Field<?>> selected = new ArrayList<>(sFields);
    selected.add(DSL.count());
    dNames.add("n");
    CommonTableExpression<?> distinct =
        d.fields(dNames.toArray(String[]::new))
            .as(
                DSL.select(selected)
                    .from(DSL.table(s))
                    .where(sType.in(parents.keySet()).and(sId.isNotNull()))
                    .groupBy(sFields));
    Field<String> dType = DSL.field(DSL.name("d", "t"), String.class);
    Field<Object> dId = DSL.field(DSL.name("d", "v"));
    // each id is looked up in the parent its own type names, through that parent's key
    CaseConditionStep<Boolean> lookup = null;
    for (Map.Entry<String, Candidate> entry : parents.entrySet()) {
      Candidate candidate = entry.getValue();
      Table<?> parent = DSL.table(name(candidate.parent().table())).as("p");
      Field<Object> key = DSL.field(DSL.name("p", candidate.parent().columns().get(0).name()));
      Condition when = dType.eq(entry.getKey());
      Condition same =
          key.eq(
              likeKey(
                  dId, candidate.child().columns().get(0), candidate.parent().columns().get(0)));
      for (int i = 1; i < candidate.child().columns().size(); i++) {
        ColumnInfo from = candidate.child().columns().get(i);
        ColumnInfo to = candidate.parent().columns().get(i);
        same =
            same.and(
                DSL.field(DSL.name("p", to.name()))
                    .eq(likeKey(DSL.field(DSL.name("d", "x" + extra.indexOf(from))), from, to)));
      }
      Field<Boolean> exists = DSL.field(DSL.exists(DSL.selectOne().from(parent).where(same)));
      lookup = lookup == null ? DSL.when(when, exists) : lookup.when(when, exists);
    }
    CommonTableExpression<?> matched =
        m.fields("t", "n", "f")
            .as(
                DSL.select(
                        dType, DSL.field(DSL.name("d", "n")), lookup.otherwise(DSL.inline(false)))
                    .from(DSL.table(d)));
    Field<String> mType = DSL.field(DSL.name("m", "t"), String.class);
    Field<Long> mRows = DSL.field(DSL.name("m", "n"), Long.class);
    Condition hit = DSL.condition(DSL.field(DSL.name("m", "f"), Boolean.class));
    List<? extends Record> result =
        inTransaction(
            context ->
                context
                    .with(rows)
                    .with(distinct)
                    .with(matched)
                    .select(
                        mType,
                        DSL.count().filterWhere(hit),
                        DSL.coalesce(DSL.sum(mRows).filterWhere(hit), DSL.inline(BigDecimal.ZERO)),
                        DSL.count())
                    .from(DSL.table(m))
                    .groupBy(mType)
                    .fetch());
    Map<String, Record> byType = new HashMap<>();
    result.forEach(r -> byType.put(r.get(0, String.class), r));
    List<Measure> measures = new ArrayList<>();
    for (Map.Entry<String, Candidate> entry : parents.entrySet()) {
      Record r = byType.get(entry.getKey());
      Sample sample = types.values().get(entry.getKey());
      if (!extra.isEmpty() && r != null) {
        // composite ids: the values counted are the distinct (id, tenant) pairs
        sample =
            new Sample(
                sample.kind(),
                sample.rows(),
                sample.percent(),
                sample.nonNullRows(),
                number(r.get(3)),
                sample.min(),
                sample.max());
      }
      measures.add(
          new Measure(
              entry.getValue(),
              sample,
              r == null ? 0 : number(r.get(1)),
              r == null ? 0 : number(r.get(2)),
              false,
              OptionalLong.empty()));
    }
    return measures;
  }

  /** {@code s(t, v)}: the sampled rows' type (as text) and id. */
  private CommonTableExpression<?> typedRows(Inference.PolymorphicPair pair, BigDecimal percent) {
    return typedRows(pair, percent, List.of());
  }

  /** {@code s(t, v, x0, ...)}: the same, with the other columns of composite ids. */
  private CommonTableExpression<?> typedRows(
      Inference.PolymorphicPair pair, BigDecimal percent, List<ColumnInfo> extra) {
    List<String> names = new ArrayList<>(List.of("t", "v"));
    List<Field<?>> fields = new ArrayList<>();
    fields.add(asText(DSL.field(DSL.name("c", pair.type().name()))));
    fields.add(DSL.field(DSL.name("c", pair.id().columns().get(0).name())));
    for (int i = 0; i < extra.size(); i++) {
      names.add("x" + i);
      fields.add(DSL.field(DSL.name("c", extra.get(i).name())));
    }
    return DSL.name("s")
        .fields(names.toArray(String[]::new))
        .as(
            DSL.select(fields)
                .from(sampled(pair.id().table(), percent))
                .limit(settings.sampleRows()));
  }

  /** Three or more consecutive integers starting at 0 or 1, pointing at an integer key. */
  private static boolean counterShaped(Sample sample, Candidate candidate) {
    if (sample.min().isEmpty() || sample.max().isEmpty() || sample.distinct() < 3) {
      return false;
    }
    long min = sample.min().getAsLong();
    long max = sample.max().getAsLong();
    return (min == 0 || min == 1)
        && max - min + 1 == sample.distinct()
        // a counter repeats its few values across many rows; eight department heads do not
        && sample.nonNullRows() >= COUNTER_REPEATS * sample.distinct()
        && candidate.parent().columns().get(0).type().isInteger()
        // people who act are often few and early: created_by 1..3 are the admins, not a count
        && candidate.tier() != Tier.PERSON
        // a parent row is created before its children: self-references point at early rows
        && candidate.parent().table() != candidate.child().table()
        && Names.personRank(Names.words(candidate.parent().table().id().name())) < 0;
  }

  /** {@code count(*)} of a table, reading at most {@code cap} rows. */
  private long countUpTo(TableInfo table, long cap) throws SQLException {
    return inTransaction(
        context ->
            context
                .selectCount()
                .from(DSL.selectOne().from(DSL.table(name(table))).limit(cap).asTable("t"))
                .fetchOne(0, Long.class));
  }

  /**
   * Rows of a table per the planner's statistics; a partitioned table has none of its own, so its
   * leaf partitions are summed. -1 when never analysed (the sample is then the first rows).
   */
  long estimatedRows(TableInfo table) {
    if (table.kind() != TableInfo.Kind.PARTITIONED_TABLE) {
      return table.estimatedRows();
    }
    long sum = -1;
    for (TableInfo partition : catalog.allTables()) {
      if (partition.partitionOf().filter(table.id()::equals).isPresent()) {
        long rows = estimatedRows(partition);
        if (rows >= 0) {
          sum = Math.max(sum, 0) + rows;
        }
      }
    }
    return Math.max(sum, table.estimatedRows());
  }

  private interface Work<T> {
    T run(DSLContext context);
  }

  /** One READ ONLY transaction with the same limits an audit has; always rolled back. */
  private <T> T inTransaction(Work<T> work) throws SQLException {
    Duration timeout = settings.timeout();
    try {
      DSLContext context =
          ReadOnlyTransaction.begin(
              connection,
              new ReadOnlyTransaction.Limits(
                  timeout,
                  Duration.ofMillis(Math.min(LOCK_TIMEOUT_MS, timeout.toMillis())),
                  Optional.of(Pools.APPLICATION_NAME + ":suggest"),
                  Map.of()));
      return work.run(context);
    } catch (DataAccessException e) {
      throw e.getCause() instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
    } finally {
      connection.rollback();
    }
  }

  private static Name name(TableInfo table) {
    return DSL.name(table.id().schema(), table.id().name());
  }

  private static List<Field<Object>> fields(String alias, List<Name> names) {
    return names.stream().map(n -> DSL.field(DSL.name(alias, n.last()))).toList();
  }

  private static Condition allPresent(String alias, List<Name> names) {
    return DSL.and(fields(alias, names).stream().map(Field::isNotNull).toList());
  }

  /**
   * A child value cast to the key's own string type ({@code text} to {@code bpchar}), so the
   * comparison uses the key's index; integers of any width already do, and other pairs are rare. No
   * type modifier: a cast to {@code varchar(3)} would truncate, and match what it should not.
   */
  private static Field<Object> likeKey(Field<Object> value, ColumnInfo from, ColumnInfo to) {
    if (from.type().isString() && to.type().isString() && !from.type().sameAs(to.type())) {
      return DSL.field(
          "{0}::{1}", Object.class, value, DSL.name(to.type().baseSchema(), to.type().baseName()));
    }
    return value;
  }

  private static Field<String> asText(Field<Object> field) {
    return field.cast(SQLDataType.CLOB);
  }

  private static long number(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  private static OptionalLong optional(Object value) {
    return value == null ? OptionalLong.empty() : OptionalLong.of(((Number) value).longValue());
  }

  /** {@code 10,000}: grouped digits read better in a report, and never depend on a locale. */
  static String count(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }

  /** {@code 99.8%}; rounds down, so a partial figure never shows as 100%. */
  static String percent(long part, long whole) {
    long tenths = whole == 0 ? 0 : part * 1000 / whole;
    return (tenths / 10) + "." + (tenths % 10) + "%";
  }
}
