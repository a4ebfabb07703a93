package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.ResultQuery;
import org.jooq.Select;
import org.jooq.Table;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query shape shared by row-level kinds: one pass over {@code source} yields the rows checked,
 * the violations and a complete, stable sample of violating keys, without a second scan (docs/
 * performance.md explains the choices with figures).
 *
 * <pre>
 * SELECT u.n, u.violations, u.fp, u.k0, ... FROM (
 *   SELECT a.n, a.violations, unnest(('{' || a.fps || '}')::bigint[]) AS fp,
 *          unnest(coalesce(('{' || a.k0s || '}')::text[], ARRAY[NULL]::text[])) AS k0, ... FROM (
 *     SELECT count(*) AS n, count(*) FILTER (WHERE v.violating) AS violations,
 *            string_agg(hashtextextended(ARRAY[v.k0::text, ...]::text, 0)::text, ',')
 *              FILTER (WHERE v.violating) AS fps,
 *            string_agg(ARRAY[v.k0::text]::text, ',') FILTER (WHERE v.violating) AS k0s, ...
 *     FROM (SELECT &lt;violation&gt; AS violating, &lt;key columns&gt; AS k0, ...
 *           FROM &lt;source&gt; WHERE &lt;scope&gt;
 *           UNION ALL SELECT NULL, NULL, ... FROM &lt;source&gt; WHERE false) v) a) u
 * </pre>
 *
 * The sample is the {@code sample_size} violating keys with the smallest fingerprints (a 64-bit
 * hash of the whole key): with fewer violations than that, every violating key; unchanged data
 * gives the same keys run after run; and partial results of chunks and increments merge exactly
 * ({@link ScanPartial}), so every mode shows the same sample for the same data. The violating rows'
 * keys stream to the worker, which keeps only the sample's candidates ({@link
 * ScanPartial.Smallest}) and passes the fingerprints on to the store in batches ({@link KeySink}).
 *
 * <p>Why this shape: a plain aggregate (no GROUP BY) costs a few nanoseconds per row per aggregate
 * and runs in parallel workers, while a GROUP BY over every row costs a hash-table lookup per row
 * (and PostgreSQL, unable to estimate the number of buckets, plans it without parallelism). The
 * violation is evaluated once per row, in the projection of the inner query; the {@code UNION ALL
 * ... WHERE false} keeps the planner from inlining that projection into every aggregate (which
 * would evaluate the violation, a probe into the parent, once per aggregate) without the cost of
 * {@code OFFSET 0}, which would also forbid parallel workers.
 *
 * <p>A full run whose plan has parallel workers, of a scan with a semi-join form (below), runs in
 * the rows form instead ({@link #selectRows}): the workers send the violating rows themselves and a
 * second branch of the statement counts the rows checked.
 *
 * <p>Kinds may offer a second form of the same check ({@link #withSemiJoin}): a violation written
 * with {@code x IN (SELECT key FROM parent)}, which PostgreSQL runs as a hashed subplan, cheaper
 * per row than a hash join. It is used for scans expected to read at least as many rows as the
 * parent holds, and only after {@code EXPLAIN} confirms the subplan is hashed (a non-hashed one
 * would re-read the parent for every row).
 */
public final class ViolationScan implements AuditQuery, RangeScan {
  private static final Logger LOG = LoggerFactory.getLogger(ViolationScan.class);

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

  /** How this scan fingerprints keys when its audit's kept set does not say otherwise. */
  private final KeyScheme scheme;

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
        Optional.empty(),
        KeyScheme.TEXT);
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
      Optional<SemiJoin> semiJoin,
      KeyScheme scheme) {
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
    this.scheme = scheme;
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
        semiJoin,
        integerKey(table, sampleNames, sampleFields.size()));
  }

  /**
   * The integer scheme where the tracked key is one integer column that identifies the row: the
   * driving table's primary key of one column of type smallint, integer or bigint, shown first
   * among the sample columns (as {@link QueryParts#samples} puts it). Every other key keeps the
   * text hash.
   */
  public static KeyScheme integerKey(TableInfo table, List<String> names, int width) {
    return table
        .primaryKey()
        .filter(pk -> pk.columns().size() == 1)
        .map(pk -> pk.columns().get(0))
        .filter(name -> width > 0 && names.get(0).equals(name))
        .filter(name -> table.column(name).map(c -> c.type().isInteger()).orElse(false))
        .map(KeyScheme::integer)
        .orElse(KeyScheme.TEXT);
  }

  /** How this scan fingerprints keys of an audit with no kept set in another scheme. */
  public KeyScheme keyScheme() {
    return scheme;
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
        Optional.of(new SemiJoin(source, violation, Math.max(0, parentRows))),
        scheme);
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
   * The fingerprint of a key in {@code in}, over {@code keys} (the sample columns' values, in
   * order, as the statement has them). A weighted scan's weight is left out of a text hash's
   * identity, so a group that grows is the same key. The integer scheme of this scan's own key
   * column is the column's value (no cast to text, no hash); of another (a kept set written when
   * the key column was an integer, or another column) the value's text read back as an integer.
   */
  private Field<Long> fingerprint(KeyScheme in, List<? extends Field<?>> keys) {
    if (!in.typed()) {
      List<Field<?>> identity = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        if (weight == null || !sampleFields.get(i).equals(weight)) {
          identity.add(keys.get(i));
        }
      }
      return fingerprint(identity);
    }
    return integerFingerprint(in, scheme, sampleNames, keys);
  }

  /**
   * The fingerprint in integer scheme {@code in} over the sample columns {@code names} (values
   * {@code keys}) of a scan whose own scheme is {@code own}: the column itself where it is the
   * scan's integer key, else its text read as an integer (a kept set written when the column was
   * one), NULL where it is no sample column any more (no key of the run is a kept key then).
   */
  public static Field<Long> integerFingerprint(
      KeyScheme in, KeyScheme own, List<String> names, List<? extends Field<?>> keys) {
    int column = names.indexOf(in.column());
    if (column < 0) {
      return DSL.inline((Long) null, SQLDataType.BIGINT);
    }
    if (in.equals(own)) {
      return keys.get(column).cast(SQLDataType.BIGINT);
    }
    return DSL.field(KeyScheme.integerFromText("{0}"), Long.class, text(keys.get(column)));
  }

  /**
   * The schemes of one statement: the sample's order and the keys sent to the store ({@code
   * stored}, the kept set's). Different only in a run that changes its audit's scheme, which sends
   * both.
   */
  private record Schemes(KeyScheme sample, KeyScheme stored) {
    boolean translating() {
      return !sample.equals(stored);
    }
  }

  /** A statement of a scan whose keys are not compared with a kept set of another scheme. */
  private Schemes own() {
    return new Schemes(scheme, scheme);
  }

  /**
   * {@code columns} of the rows of {@code from} that meet {@code where}, as table {@code v} whose
   * every column is computed once per row. Why: UNION ALL with an empty branch makes an appendrel,
   * whose members project their columns once per row, and which (unlike OFFSET 0) still runs in
   * parallel workers. The empty branch reads the same tables WHERE false, so that the planner drops
   * it as provably empty: a branch without FROM stays in the plan as a Result node, and PostgreSQL
   * 15 then plans the whole statement without parallel workers (measured: 2.6 x the anti-join
   * instead of 1.2 x). Its NULLs are untyped: each takes the type of the column beside it.
   */
  private static Table<?> projectedOnce(
      DSLContext context, List<Field<?>> columns, Table<?> from, Condition where) {
    List<Field<?>> empty = new ArrayList<>();
    for (Field<?> column : columns) {
      empty.add(DSL.inline((Object) null).as(column.getName()));
    }
    return context
        .select(columns)
        .from(from)
        .where(where)
        .unionAll(DSL.select(empty).from(from).where(DSL.falseCondition()))
        .asTable("v");
  }

  /**
   * The statement, over {@code range}, in the given form: one row per violating row (its
   * fingerprint and key texts, and with {@code weighted} its weight), each carrying the counts; one
   * row with a NULL fingerprint when nothing violates.
   */
  ResultQuery<Record> select(DSLContext context, Condition range, boolean semi, boolean weighted) {
    return select(context, range, semi, weighted, own());
  }

  private ResultQuery<Record> select(
      DSLContext context, Condition range, boolean semi, boolean weighted, Schemes schemes) {
    Table<?> from = semi ? semiJoin.orElseThrow().source() : source;
    Condition check = semi ? semiJoin.orElseThrow().violation() : violation;
    // the inner projection: the violation, evaluated once, and the raw key columns
    List<Field<?>> columns = new ArrayList<>();
    columns.add(DSL.field(check).as("violating"));
    for (int i = 0; i < sampleFields.size(); i++) {
      columns.add(sampleFields.get(i).as("k" + i));
    }
    if (weight != null) {
      columns.add(weight.as("weight"));
    }
    Table<?> rows = projectedOnce(context, columns, from, scope.and(range));
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
    // the key texts are computed for violating rows only. Every aggregate of one statement sees
    // the rows in the same order (also when parallel workers' partial results are combined), so
    // the key columns' lists line up element by element.
    // each key column's texts as one string, an array literal of one-element rows ({"a"},{NULL},
    // ...): array_out quotes what needs it and tells NULL from 'NULL', and appending to one string
    // costs far less than an array of texts, whose every element is copied, and sent between
    // parallel workers, one by one (measured: half the statement's time at a million keys)
    for (int i = 0; i < keys.size(); i++) {
      Field<String> row = DSL.array(text(keys.get(i))).cast(SQLDataType.CLOB);
      aggregates.add(
          DSL.aggregate("string_agg", SQLDataType.CLOB, row, DSL.inline(","))
              .filterWhere(violating)
              .as("k" + i + "s"));
    }
    // the fingerprint of each violating key, computed where the rows are read (in the parallel
    // workers, not in the leader that streams the rows out), as one string of numbers like the
    // key texts: at a million violating keys the leader's serial part was a third of the
    // statement (docs/performance.md). A weighted scan's weight, a group's size shown in the
    // sample, is left out of the identity, so a group that grows is the same key.
    aggregates.add(
        DSL.aggregate(
                "string_agg",
                SQLDataType.CLOB,
                fingerprint(schemes.sample(), keys).cast(SQLDataType.CLOB),
                DSL.inline(","))
            .filterWhere(violating)
            .as("fps"));
    if (weighted) {
      aggregates.add(
          DSL.arrayAgg(rows.field("weight", Long.class)).filterWhere(violating).as("ws"));
    }
    if (schemes.translating()) {
      aggregates.add(
          DSL.aggregate(
                  "string_agg",
                  SQLDataType.CLOB,
                  fingerprint(schemes.stored(), keys).cast(SQLDataType.CLOB),
                  DSL.inline(","))
              .filterWhere(violating)
              .as("kfps"));
    }
    // the lists leave the server as rows, unnested in the select list: set-returning functions
    // there run in lockstep, one element of each list per row, produced as the rows are fetched
    // (in FROM, each unnest is first copied into a tuplestore of its own, which spills to disk at
    // a million keys; slicing arrays into batches cost more still: docs/performance.md). When
    // nothing violates the lists are NULL (string_agg of none; a violating key's element is never
    // NULL, '{NULL}' at least), and one row of NULL keys still carries the counts.
    // (fps NULL: no row from its unnest, and the lockstep pads it with NULL next to the NULL keys)
    List<String> unnested = new ArrayList<>(List.of("a.n", "a.violations"));
    unnested.add("unnest(('{' || a.fps || '}')::bigint[]) AS fp");
    for (int i = 0; i < keys.size(); i++) {
      unnested.add(
          "unnest(coalesce(('{' || a.k" + i + "s || '}')::text[], ARRAY[NULL]::text[])) AS k" + i);
    }
    if (weighted) {
      unnested.add("unnest(a.ws) AS w");
    }
    if (schemes.translating()) {
      unnested.add("unnest(('{' || a.kfps || '}')::bigint[]) AS kfp");
    }
    List<String> outer = new ArrayList<>(List.of("u.n", "u.violations", "u.fp"));
    for (int i = 0; i < keys.size(); i++) {
      outer.add("u.k" + i);
    }
    if (weighted) {
      outer.add("u.w");
    }
    if (schemes.translating()) {
      outer.add("u.kfp");
    }
    return context.resultQuery(
        "SELECT "
            + String.join(", ", outer)
            + " FROM (SELECT "
            + String.join(", ", unnested)
            + " FROM ({0}) AS a) AS u",
        context.select(aggregates).from(rows));
  }

  /**
   * The statement in the rows form, over {@code range}: the parallel workers emit the violating
   * rows themselves (one row each: no count, its fingerprint and key texts, as {@link #select}
   * sends them) through the {@code Gather}, and a count of the rows checked on the driving table
   * alone comes in one more row ({@code n} set, no fingerprint), in the same statement and
   * snapshot.
   *
   * <pre>
   * SELECT count(c.ctid) AS n, NULL AS violations, NULL AS fp, NULL AS k0, ... FROM &lt;driving table&gt; c WHERE &lt;scope&gt;
   * UNION ALL
   * SELECT NULL, NULL, &lt;fingerprint&gt;, k0::text, ... FROM &lt;source&gt; WHERE &lt;scope&gt; AND &lt;violation&gt;
   * </pre>
   *
   * Why: in the aggregate form ({@link #select}) the leader alone unnests the violating keys' lists
   * after the parallel scan, a serial tail that at a million violating rows cost as much as a third
   * of the statement; and the violation in its join form is a filter the planner turns into the
   * anti-join a DBA writes, whose Parallel Hash builds one shared table, where the hashed subplan
   * of the semi-join form is built once per process. The count is a second scan, of the driving
   * table alone (0.3-0.4 s at 10 M rows, about a sixth of the anti-join), so the form is used only
   * where the plan has parallel workers (docs/performance.md).
   */
  ResultQuery<Record> selectRows(DSLContext context, Condition range) {
    return selectRows(context, range, Long.MAX_VALUE, own());
  }

  /**
   * The rows form with key texts only for violating rows whose fingerprint is at most {@code bound}
   * ({@link Long#MAX_VALUE}: every row's): the sample is the {@code sample_size} smallest
   * fingerprints, so a row above a bound that enough rows lie below can never be shown, and its
   * texts (0.15-0.3 s of the statement at a million violating rows, and their parse in the worker)
   * need not leave the server. The fingerprint is computed once per row, in the projection of an
   * appendrel as in {@link #select} ({@code UNION ALL ... WHERE false}), and the texts are chosen
   * over it.
   */
  ResultQuery<Record> selectRows(DSLContext context, Condition range, long bound) {
    return selectRows(context, range, bound, own());
  }

  /**
   * The rows form in {@code schemes}: a translating statement sends each row's fingerprint in the
   * stored scheme too, as its last column ({@code kfp}).
   */
  private ResultQuery<Record> selectRows(
      DSLContext context, Condition range, long bound, Schemes schemes) {
    Condition rows = scope.and(range);
    List<Field<?>> count = new ArrayList<>();
    // a plain table's rows counted by their ctid: count(*) lets the planner read the primary
    // key's index alone, which it prices below the heap, but the heap (which the violating rows'
    // scan reads in any case) counted faster: 0.36-0.43 s against 0.43-0.59 s at 10 M rows
    // (docs/performance.md); a view has no ctid
    Driving table = driving.orElseThrow();
    count.add(
        (table.table().kind() == TableInfo.Kind.TABLE
                ? DSL.count(DSL.field(DSL.name(table.alias(), "ctid")))
                : DSL.count())
            .cast(SQLDataType.BIGINT)
            .as("n"));
    count.add(DSL.inline((Long) null, SQLDataType.BIGINT).as("violations"));
    count.add(DSL.inline((Long) null, SQLDataType.BIGINT).as("fp"));
    List<Field<?>> violating = new ArrayList<>();
    violating.add(DSL.inline((Long) null, SQLDataType.BIGINT));
    violating.add(DSL.inline((Long) null, SQLDataType.BIGINT));
    for (int i = 0; i < sampleFields.size(); i++) {
      count.add(DSL.inline((String) null, SQLDataType.CLOB).as("k" + i));
    }
    if (schemes.translating()) {
      count.add(DSL.inline((Long) null, SQLDataType.BIGINT).as("kfp"));
    }
    Select<Record> counted =
        context.select(count).from(semiJoin.orElseThrow().source()).where(rows);
    if (bound == Long.MAX_VALUE) {
      violating.add(fingerprint(schemes.sample(), sampleFields));
      for (Field<?> key : sampleFields) {
        violating.add(text(key));
      }
      if (schemes.translating()) {
        violating.add(fingerprint(schemes.stored(), sampleFields));
      }
      return counted.unionAll(context.select(violating).from(source).where(rows.and(violation)));
    }
    // the violating rows' fingerprints and raw keys, projected once per row; the texts are chosen
    // over the projection
    List<Field<?>> projected = new ArrayList<>();
    projected.add(fingerprint(schemes.sample(), sampleFields).as("fp"));
    for (int i = 0; i < sampleFields.size(); i++) {
      projected.add(sampleFields.get(i).as("k" + i));
    }
    if (schemes.translating()) {
      projected.add(fingerprint(schemes.stored(), sampleFields).as("kfp"));
    }
    Table<?> v = projectedOnce(context, projected, source, rows.and(violation));
    Field<Long> fp = v.field("fp", Long.class);
    violating.add(fp);
    for (int i = 0; i < sampleFields.size(); i++) {
      violating.add(DSL.when(fp.le(DSL.inline(bound)), text(v.field("k" + i))));
    }
    if (schemes.translating()) {
      violating.add(v.field("kfp", Long.class));
    }
    return counted.unionAll(context.select(violating).from(v));
  }

  /**
   * The violating rows whose fingerprint is at most {@code bound}, with their key texts, in the
   * rows form's columns (no count): the exact fallback of a run whose texts' bound proved too tight
   * ({@link Receiver#fallbackBound}). In the same snapshot as the run's statement (a full run's
   * transaction is REPEATABLE READ), it finds the same rows.
   */
  ResultQuery<Record> selectTexts(DSLContext context, Condition range, long bound) {
    return selectTexts(context, range, bound, scheme, new long[0]);
  }

  /**
   * @param smallest in this scan's integer scheme, the sample's fingerprints, which are its keys:
   *     the rows fetched are those (an index lookup each), not every row up to the bound (at 0.1%
   *     of 10,000,000 rows, 20,000 rows and their probes into the parent: 0.13 s)
   */
  private ResultQuery<Record> selectTexts(
      DSLContext context, Condition range, long bound, KeyScheme in, long[] smallest) {
    List<Field<?>> violating = new ArrayList<>();
    violating.add(DSL.inline((Long) null, SQLDataType.BIGINT).as("n"));
    violating.add(DSL.inline((Long) null, SQLDataType.BIGINT).as("violations"));
    violating.add(fingerprint(in, sampleFields).as("fp"));
    for (int i = 0; i < sampleFields.size(); i++) {
      violating.add(text(sampleFields.get(i)).as("k" + i));
    }
    // this scan's integer key compared as the column itself, so that its index finds the rows
    Condition below;
    if (in.typed() && in.equals(scheme) && smallest.length > 0) {
      List<Field<Long>> keys = new ArrayList<>();
      for (long key : smallest) {
        keys.add(DSL.inline(key));
      }
      below =
          DSL.field("{0}", Long.class, sampleFields.get(sampleNames.indexOf(in.column()))).in(keys);
    } else {
      below = fingerprint(in, sampleFields).le(bound);
    }
    return context.select(violating).from(source).where(scope.and(range).and(violation).and(below));
  }

  /**
   * The rows a full run expects below the key texts' bound: {@code sample_size} times this. Sent
   * texts cost next to nothing at this many rows (about 1,300 of a million at the default
   * sample_size of 20), and a run whose violations shrank this many times since the previous one
   * still finds its sample among them; one that shrank more takes the fallback (one more statement,
   * {@link #selectTexts}).
   */
  static final int TEXTED_PER_SAMPLE_KEY = 64;

  /**
   * The fingerprint bound below which a full run sends key texts, from the previous completed run's
   * violations: fingerprints spread evenly over the 64-bit range, so a share {@code p} of the range
   * holds about {@code p} of the rows. {@link Long#MAX_VALUE} (every row's texts) without a
   * previous figure, or where the expected rows would be most of them anyway.
   */
  public static long textBound(long previousViolations, int sampleSize) {
    double expected = (double) TEXTED_PER_SAMPLE_KEY * Math.max(1, sampleSize);
    if (previousViolations <= 0 || expected * 2 >= previousViolations) {
      return Long.MAX_VALUE;
    }
    double share = expected / previousViolations;
    // Long.MIN_VALUE + share * 2^64, in doubles (their rounding is far below a row's share)
    return (long) (-0x1p63 + share * 0x1p64);
  }

  @Override
  public ScanPartial scan(DSLContext context, Condition range, long expectedRows, Tracking keys) {
    return scan(context, range, expectedRows, keys, false);
  }

  /**
   * @param oneSnapshot the caller runs it in a REPEATABLE READ transaction, so that the rows form
   *     may send key texts below a bound only ({@link #selectRows(DSLContext, Condition, long)}):
   *     its fallback, a second statement, must see the same rows
   */
  private ScanPartial scan(
      DSLContext context, Condition range, long expectedRows, Tracking keys, boolean oneSnapshot) {
    Form form = form(context, range, expectedRows);
    int cap = keys.sink().cap();
    boolean weighted = weight != null && cap > 0;
    Schemes schemes = schemes(keys);
    long bound;
    if (!(form.rows() && oneSnapshot)) {
      bound = Long.MAX_VALUE;
    } else if (schemes.sample().typed()) {
      // the smallest keys are the sample: no key's texts in the statement, the few the sample
      // shows fetched by the fallback below (an index range scan of the key column)
      bound = Long.MIN_VALUE;
    } else {
      bound = textBound(keys.sink().previousViolations(), sampleSize);
    }
    if (bound != Long.MAX_VALUE) {
      LOG.debug(
          "key texts only for fingerprints up to {} ({} violations in the previous completed run)",
          bound,
          keys.sink().previousViolations());
    }
    ResultQuery<Record> statement =
        form.rows()
            ? selectRows(context, range, bound, schemes)
            : select(context, range, form.semi(), weighted, schemes);
    // every violating key streams past: the worker keeps the sample's candidates and one batch of
    // fingerprints for the store, never the whole set
    try (KeySink.Part part = cap > 0 ? keys.sink().open(keys.part(), schemes.stored()) : null) {
      Receiver receiver = new Receiver(part, cap, weighted, bound, schemes);
      if (form.parallel()) {
        copy(context, statement, receiver);
      } else {
        // a statement planned without workers: read through a cursor (see form())
        try (ResultSet rows = statement.fetchSize(KeySink.BATCH).fetchResultSet()) {
          while (rows.next()) {
            receiver.row(index -> column(rows, index));
          }
        } catch (SQLException e) {
          throw new DataAccessException(e.getMessage(), e);
        }
      }
      receiver.end();
      List<ScanPartial.Candidate> sample = receiver.sample.candidates();
      if (receiver.textsMissing()) {
        if (!schemes.sample().typed()) {
          LOG.info(
              "{} of {} violating rows came with key texts, fewer than the sample's {}: one more"
                  + " statement fetches the texts of the smallest fingerprints",
              receiver.texted,
              receiver.streamed,
              Math.min(receiver.streamed, sampleSize));
        }
        sample =
            fallback(
                context,
                range,
                receiver.fallbackBound(),
                schemes.sample(),
                Arrays.copyOf(receiver.smallest, receiver.smallestSize));
      }
      return new ScanPartial(receiver.rowsChecked, receiver.violations(), sample, sampleSize);
    }
  }

  /**
   * The schemes of one statement (docs/audits.md, "Tracking every violating key"): this scan's own,
   * unless the audit's kept key set is in another. Then the keys sent to the store are in the kept
   * set's scheme, so that they compare with it; a statement of a run that reads every row (a full
   * run, a chunk, an incremental audit's sweep) sends each key in this scan's scheme too, and the
   * sample is chosen in it, so that the store translates the run's key set when the run finishes
   * (first-seen times and baseline flags carried over); an increment stays in the kept set's.
   */
  private Schemes schemes(Tracking keys) {
    if (keys.sink().cap() == 0) {
      return own();
    }
    KeyScheme kept = keys.sink().keptScheme().orElse(scheme);
    if (kept.equals(scheme)) {
      return own();
    }
    boolean everyRow = keys.part().equals(Tracking.FULL) || keys.part().startsWith("chunk ");
    return everyRow ? new Schemes(scheme, kept) : new Schemes(kept, kept);
  }

  /**
   * Streams {@code statement} through COPY, not a cursor: a cursor's statement never runs in
   * parallel workers.
   */
  private static void copy(DSLContext context, ResultQuery<Record> statement, Receiver receiver) {
    String sql = context.renderInlined(statement);
    context.connection(
        connection -> {
          try {
            CopyRows.read(connection, sql, row -> receiver.row(row::get));
          } catch (SQLException e) {
            // as jOOQ reports a failed statement: the classifier reads its SQLSTATE
            throw new DataAccessException(e.getMessage(), e);
          }
        });
  }

  /**
   * The sample's candidates when the key texts' bound left fewer texted rows than the sample shows:
   * the texts of every violating row whose fingerprint is at most {@code bound} (the {@code
   * sample_size}-th smallest the run saw), in the run's snapshot.
   */
  private List<ScanPartial.Candidate> fallback(
      DSLContext context, Condition range, long bound, KeyScheme in, long[] smallest) {
    String isolation =
        context.fetchValue(
            DSL.function("current_setting", String.class, DSL.inline("transaction_isolation")));
    if ("read committed".equals(isolation)) {
      // a second statement would see other rows than the first: the sample could be off
      throw new IllegalStateException(
          "the key texts' fallback needs the run's snapshot: run it REPEATABLE READ");
    }
    Receiver texts = new Receiver(null, 0, false, Long.MAX_VALUE, new Schemes(in, in));
    copy(context, selectTexts(context, range, bound, in, smallest), texts);
    return texts.sample.candidates();
  }

  /** One row of the statement, whichever way it is read: a column's text (0-based), or null. */
  @FunctionalInterface
  private interface Row {
    String get(int index);
  }

  private static String column(ResultSet rows, int index) {
    try {
      return rows.getString(index + 1);
    } catch (SQLException e) {
      throw new DataAccessException(e.getMessage(), e);
    }
  }

  /**
   * The stored fingerprint of a key that has none in the kept set's scheme: a value no kept key has
   * in practice (a text hash of exactly this value is one chance in 2^64; an integer key of
   * Long.MIN_VALUE is PostgreSQL's bigint minimum), so the key counts as new.
   */
  private static final long NO_KEY = Long.MIN_VALUE;

  /** Takes the statement's rows as they stream in: counts, sample candidates, key batches. */
  private final class Receiver {
    private final KeySink.Part part;
    private final int cap;
    private final boolean weighted;
    private final Schemes schemes;

    /** A translating statement's keys in the stored scheme, beside {@link #fingerprints}. */
    private final long[] stored;

    private final ScanPartial.Smallest sample = new ScanPartial.Smallest(sampleSize);
    private final long[] fingerprints = new long[KeySink.BATCH];
    private final long[] weights;
    private int pending;
    private long sent;
    private long rowsChecked;

    /** The statement's own count of violating rows; null: the rows form, which counts none. */
    private Long violations;

    private long streamed;

    /** Rows whose key texts the statement sends: those whose fingerprint is at most this. */
    private final long bound;

    /** Violating rows that came with their texts. */
    private long texted;

    /**
     * The {@code sample_size} smallest fingerprints of all violating rows, texted or not (a
     * max-heap as long as a bound is in force): where the fallback must look.
     */
    private final long[] smallest;

    private int smallestSize;

    Receiver(KeySink.Part part, int cap, boolean weighted, long bound, Schemes schemes) {
      this.part = part;
      this.cap = cap;
      this.weighted = weighted;
      this.schemes = schemes;
      this.stored = new long[schemes.translating() ? KeySink.BATCH : 0];
      this.weights = new long[weighted ? KeySink.BATCH : 0];
      this.bound = bound;
      this.smallest = new long[bound == Long.MAX_VALUE ? 0 : sampleSize];
    }

    void row(Row row) {
      // the aggregate form repeats its counts in every row (NULL: sums of no rows, a weighted
      // scan over nothing); the rows form sends the rows checked in a row of their own, without
      // a fingerprint, and the violating rows without counts
      if (row.get(0) != null) {
        rowsChecked = Long.parseLong(row.get(0));
      }
      if (row.get(1) != null) {
        violations = Long.parseLong(row.get(1));
      }
      String fp = row.get(2);
      if (fp == null) {
        return;
      }
      streamed++;
      long fingerprint = Long.parseLong(fp);
      int width = sampleFields.size();
      if (smallest.length > 0) {
        keepSmallest(fingerprint);
      }
      // a row above the bound comes without texts: it lies above every row the sample can show
      // (else the fallback runs)
      if (fingerprint <= bound) {
        texted++;
        if (sample.admits(fingerprint)) {
          List<String> key = new ArrayList<>(width);
          for (int i = 0; i < width; i++) {
            key.add(row.get(3 + i));
          }
          sample.add(new ScanPartial.Candidate(fingerprint, key));
        }
      }
      if (part != null && sent < cap) {
        fingerprints[pending] = fingerprint;
        if (weighted) {
          weights[pending] = Long.parseLong(row.get(3 + width));
        }
        if (stored.length > 0) {
          // the last column: the key in the kept set's scheme (NULL: a value that has no
          // fingerprint there, e.g. text that is no integer; no kept key can match it)
          String kfp = row.get(3 + width + (weighted ? 1 : 0));
          stored[pending] = kfp == null ? NO_KEY : Long.parseLong(kfp);
        }
        sent++;
        if (++pending == KeySink.BATCH) {
          flush(KeySink.BATCH);
        }
      }
    }

    private void keepSmallest(long fingerprint) {
      if (smallestSize < smallest.length) {
        // sift up
        int i = smallestSize++;
        smallest[i] = fingerprint;
        while (i > 0 && smallest[(i - 1) / 2] < smallest[i]) {
          swap(i, (i - 1) / 2);
          i = (i - 1) / 2;
        }
      } else if (fingerprint < smallest[0]) {
        // replace the largest kept, sift down
        smallest[0] = fingerprint;
        int i = 0;
        while (true) {
          int largest = i;
          for (int child = 2 * i + 1; child <= 2 * i + 2 && child < smallestSize; child++) {
            if (smallest[child] > smallest[largest]) {
              largest = child;
            }
          }
          if (largest == i) {
            break;
          }
          swap(i, largest);
          i = largest;
        }
      }
    }

    private void swap(int i, int j) {
      long t = smallest[i];
      smallest[i] = smallest[j];
      smallest[j] = t;
    }

    /**
     * Whether the sample may need rows whose texts were not sent: fewer texted rows than the sample
     * shows, min(violations, sample_size). (With at least that many texted, every row above the
     * bound is larger than all of them, equal fingerprints included, so it cannot be shown.)
     */
    boolean textsMissing() {
      return bound != Long.MAX_VALUE && texted < Math.min(streamed, sampleSize);
    }

    /**
     * The bound that holds the sample for sure: the {@code sample_size}-th smallest fingerprint.
     */
    long fallbackBound() {
      return smallestSize == 0 ? Long.MIN_VALUE : smallest[0];
    }

    /** Violating rows: as the statement counted them, else as many as it sent. */
    long violations() {
      return violations != null ? violations : streamed;
    }

    /** Sends the first {@code n} pending keys to the store. */
    private void flush(int n) {
      long[] own = Arrays.copyOf(fingerprints, n);
      if (stored.length > 0) {
        long[] kept = Arrays.copyOf(stored, n);
        part.add(kept, weighted ? Arrays.copyOf(weights, n) : null);
        part.translate(kept, own, schemes.sample());
      } else {
        part.add(own, weighted ? Arrays.copyOf(weights, n) : null);
      }
      pending = 0;
    }

    void end() {
      if (part != null) {
        if (pending > 0) {
          flush(pending);
        }
        part.commit();
      }
    }
  }

  @Override
  public ScanPartial scan(DSLContext context, Condition range) {
    return scan(context, range, Long.MAX_VALUE, Tracking.NONE);
  }

  /**
   * Which form of the statement runs, and how its rows are read.
   *
   * @param semi the semi-join form of the aggregate
   * @param rows the rows form ({@link #selectRows}) instead of the aggregate
   * @param parallel read through COPY, so that the planned parallel workers run
   */
  private record Form(boolean semi, boolean rows, boolean parallel) {}

  private ResultQuery<Record> statement(
      DSLContext context, Condition range, Form form, boolean weighted) {
    return form.rows() ? selectRows(context, range) : select(context, range, form.semi(), weighted);
  }

  /**
   * The form a statement over {@code range} runs in, and how it is read: the rows form where it
   * applies and its plan has parallel workers ({@link #selectRows}); else the semi-join form of the
   * aggregate where it is worth considering ({@link #semiJoinPlan}) and the planner hashes its
   * subplan; else the join form.
   *
   * <p>The rule for the read: a statement whose plan has a parallel worker is read through COPY (a
   * cursor would run it in the leader alone); one planned without workers (PostgreSQL plans none
   * for tables under {@code min_parallel_table_scan_size}, 8 MB by default, or when parallelism is
   * off) is read through the cursor, as before COPY: there it costs no more than COPY (measured at
   * 20,000 and 100,000 rows: docs/performance.md). The plan is the one {@link #semiJoinPlan}
   * already read, or, for a full run in the join form, one {@code EXPLAIN} per run; a range
   * statement (a chunk, an increment) with no plan at hand is read through COPY.
   */
  private Form form(DSLContext context, Condition range, long expectedRows) {
    Optional<String> semiPlan = semiJoinPlan(context, range, expectedRows);
    // the rows form's own plan is asked for only where workers are possible: a semi-join plan
    // without them (a small child) costs no second EXPLAIN
    if (rowsFormApplies(range)
        && semiPlan.map(plan -> workersPlanned(plan) > 0).orElse(true)
        && workersPlanned(plan(context, selectRows(context, range))) > 0) {
      return new Form(false, true, true);
    }
    if (semiPlan.isPresent() && semiPlan.get().contains("hashed SubPlan")) {
      return new Form(true, false, workersPlanned(semiPlan.get()) > 0);
    }
    if (!range.equals(DSL.noCondition())) {
      return new Form(false, false, true);
    }
    return new Form(false, false, workersPlanned(plan(context, range, false)) > 0);
  }

  /**
   * Whether a run over {@code range} may use the rows form: a full run (chunks and increments keep
   * the aggregate, bounded statements without a plan of their own) of an unweighted scan whose
   * driving table can be counted alone (it has the semi-join form, on that table alone); used when
   * its plan has parallel workers, where it is the faster statement (docs/performance.md).
   */
  private boolean rowsFormApplies(Condition range) {
    return weight == null
        && semiJoin.isPresent()
        && driving.isPresent()
        && range.equals(DSL.noCondition());
  }

  private static final Pattern WORKERS_PLANNED = Pattern.compile("Workers Planned: (\\d+)");

  /** The most parallel workers any Gather of {@code plan} plans (0: none). */
  static int workersPlanned(String plan) {
    int most = 0;
    Matcher matcher = WORKERS_PLANNED.matcher(plan);
    while (matcher.find()) {
      most = Math.max(most, Integer.parseInt(matcher.group(1)));
    }
    return most;
  }

  private String plan(DSLContext context, Condition range, boolean semi) {
    return plan(context, select(context, range, semi, false));
  }

  private static String plan(DSLContext context, ResultQuery<Record> statement) {
    String sql = context.renderInlined(statement);
    return String.join("\n", context.fetch("EXPLAIN (VERBOSE) " + sql).getValues(0, String.class));
  }

  /**
   * The semi-join form's plan, when that form is worth considering: it exists and the range is
   * expected to read at least as many rows as the parent holds (else a join lets the planner probe
   * the parent's index instead of hashing all of it).
   */
  private Optional<String> semiJoinPlan(DSLContext context, Condition range, long expectedRows) {
    if (semiJoin.isEmpty() || expectedRows < Math.max(1, semiJoin.get().parentRows())) {
      return Optional.empty();
    }
    return Optional.of(plan(context, range, true));
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
    // a full run's transaction is REPEATABLE READ (run/FullRun): one snapshot for its statements
    return measurement(
        scan(context, DSL.noCondition(), expectedRows(), new Tracking(keys, Tracking.FULL), true));
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
    Form form = form(context, DSL.noCondition(), expectedRows());
    return List.of(context.renderInlined(statement(context, DSL.noCondition(), form, false)));
  }

  @Override
  public String sql(DSLContext context, Condition range) {
    return context.renderInlined(select(context, range, false, false));
  }
}
