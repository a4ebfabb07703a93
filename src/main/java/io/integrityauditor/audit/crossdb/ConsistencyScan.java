package io.integrityauditor.audit.crossdb;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.catalog.ColumnInfo;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Name;
import org.jooq.Record;
import org.jooq.ResultQuery;
import org.jooq.SortField;
import org.jooq.Table;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * A consistent audit whose parent lives in another database: the child's rows and the parent's
 * rows, each streamed in key order ({@link KeyColumn}) from its own server in one READ ONLY
 * transaction, both at once and each on a thread of its own ({@link ReadAhead#cursor}: cursors,
 * since the re-checks and findings use both connections during the merge), merged in the worker;
 * every child row that finds its parent is checked, and a row whose compared columns differ is a
 * candidate. Candidates are re-checked against the parent's current row in a fresh snapshot, so a
 * parent updated between the two snapshots is judged as it is now.
 *
 * <pre>
 * child:   SELECT &lt;key&gt;, &lt;sample and compared columns&gt;::text FROM child c
 *          WHERE &lt;child filter&gt; AND &lt;key&gt; IS NOT NULL ORDER BY &lt;key&gt;
 * parent:  SELECT &lt;key&gt;, &lt;compared columns&gt;::text FROM parent p
 *          WHERE &lt;parent filter&gt; AND &lt;key&gt; IS NOT NULL ORDER BY &lt;key&gt;
 * re-check (parent, fresh snapshot, per batch of candidates):
 *          SELECT u.i, &lt;compared columns&gt;::text FROM unnest(?::text[], ...) WITH ORDINALITY u(k0, ..., i)
 *          JOIN parent p ON &lt;parent filter&gt; AND p.k0 = u.k0 ...
 * fingerprints (child, per batch of violations): as {@link MergeScan}'s
 * </pre>
 *
 * The same answers as the same-database kind on the same data: rows checked are the child rows
 * (within the child filter) whose parent exists (within the parent filter); a pair differs as
 * {@code IS DISTINCT FROM} says (NULL vs a value differs, NULL vs NULL does not), or as {@code <>}
 * with {@code nulls: ignore} (a NULL on either side is not checked); compared values follow the
 * documented cross-server rule (numbers by value, anything else by the text form, byte by byte);
 * the sample columns, their order and their fingerprints are the same-database audit's.
 */
public final class ConsistencyScan extends ScanAcross {
  /** Each compared pair: child column, parent column, and how the two are compared. */
  private final List<KeyColumn> compared;

  private final boolean ignoreNulls;

  /** The child's columns other than the key, read as text: sample and compared columns. */
  private final List<ColumnInfo> childValues;

  /** For each compared pair: the child's value, as {@link #source} encodes it. */
  private final int[] comparedSource;

  private final List<String> sampleNames;
  private final List<Boolean> sampleNumeric;

  /**
   * For each sample column of the child: its value, as {@link #source} encodes it; the sample ends
   * with the parent's compared values (one per distinct parent column, {@link #parentSample}).
   */
  private final int[] childSample;

  /** For each sample column after the child's: the compared pair whose parent value it shows. */
  private final int[] parentSample;

  private final int sampleSize;

  private ConsistencyScan(
      TableColumns.Bound child,
      TableColumns.Bound parent,
      List<ColumnInfo> childCompared,
      List<ColumnInfo> parentCompared,
      boolean ignoreNulls,
      int sampleSize) {
    super(child, parent, false);
    this.ignoreNulls = ignoreNulls;
    this.sampleSize = sampleSize;
    List<KeyColumn> comparedPairs = new ArrayList<>();
    for (int i = 0; i < childCompared.size(); i++) {
      comparedPairs.add(KeyColumn.of(childCompared.get(i), parentCompared.get(i), false));
    }
    this.compared = List.copyOf(comparedPairs);

    // the sample columns of the same-database kind (ConsistentSpec): the child's identifying
    // columns, the reference columns, the compared child columns, then the parent's values as
    // <parent table>.<column>
    List<String> names = childSampleNames(childCompared);
    List<ColumnInfo> values = new ArrayList<>();
    List<Boolean> numeric = new ArrayList<>();
    int[] sources = new int[names.size()];
    for (int i = 0; i < names.size(); i++) {
      ColumnInfo column = child.table().column(names.get(i)).orElseThrow();
      numeric.add(column.type().category() == 'N');
      sources[i] = source(column, values);
    }
    this.childSample = sources;
    int[] comparedSources = new int[childCompared.size()];
    for (int i = 0; i < childCompared.size(); i++) {
      comparedSources[i] = source(childCompared.get(i), values);
    }
    this.comparedSource = comparedSources;
    this.childValues = List.copyOf(values);
    List<Integer> parentShown = new ArrayList<>();
    for (int i = 0; i < parentCompared.size(); i++) {
      String name = parent.table().id().name() + "." + parentCompared.get(i).name();
      if (!names.contains(name)) {
        names.add(name);
        numeric.add(parentCompared.get(i).type().category() == 'N');
        parentShown.add(i);
      }
    }
    this.parentSample = parentShown.stream().mapToInt(Integer::intValue).toArray();
    this.sampleNames = List.copyOf(names);
    this.sampleNumeric = List.copyOf(numeric);
  }

  /**
   * Where a child column's value is in a row of the child's stream: a key column {@code k} is
   * {@code k} (0..), any other is {@code -1 - i}, its place {@code i} among {@code values} (added
   * there when new).
   */
  private int source(ColumnInfo column, List<ColumnInfo> values) {
    List<String> keyNames = child.columns().stream().map(ColumnInfo::name).toList();
    int key = keyNames.indexOf(column.name());
    if (key >= 0) {
      return key;
    }
    int at = values.stream().map(ColumnInfo::name).toList().indexOf(column.name());
    if (at < 0) {
      values.add(column);
      at = values.size() - 1;
    }
    return -1 - at;
  }

  /**
   * The rows of {@code child} (bound in the audit's target) whose compared columns differ from
   * those of their {@code parent} (bound in another target, unique on its reference columns).
   *
   * @param childCompared the compared child columns, in the order of {@code parentCompared}
   */
  public static ConsistencyScan differences(
      TableColumns.Bound child,
      TableColumns.Bound parent,
      List<ColumnInfo> childCompared,
      List<ColumnInfo> parentCompared,
      boolean ignoreNulls,
      int sampleSize) {
    return new ConsistencyScan(
        child, parent, childCompared, parentCompared, ignoreNulls, sampleSize);
  }

  @Override
  public List<String> childSql(DSLContext context) {
    return List.of(
        context.renderInlined(childRows(context)),
        context.renderInlined(Sides.fingerprints(context, sampleNames.size(), List.of())));
  }

  @Override
  public List<String> parentSql(DSLContext context) {
    return List.of(
        context.renderInlined(parentRows(context)),
        context.renderInlined(recheck(context, List.of())));
  }

  // ---- the statements -----------------------------------------------------------------------

  /** A column's text form, as a same-database sample shows it. */
  private static Field<?> text(String alias, ColumnInfo column) {
    Field<Object> field = QueryParts.field(alias, column);
    String type = column.type().baseName();
    return type.equals("text") || type.equals("varchar") ? field : field.cast(SQLDataType.CLOB);
  }

  /** A side's stream: its key in merge order, then {@code values} as text. */
  private ResultQuery<Record> stream(
      DSLContext context, TableColumns.Bound side, String alias, List<ColumnInfo> values) {
    List<Field<?>> select = new ArrayList<>();
    List<SortField<?>> order = new ArrayList<>();
    // a NULL reference finds no parent (the join of the same-database kind): never checked
    Condition scope = side.filter().orElse(DSL.noCondition());
    for (KeyColumn key : keys) {
      ColumnInfo column = side == child ? key.child() : key.parent();
      Field<?> field = key.ordered(alias, column);
      select.add(field);
      order.add(field.asc());
      scope = scope.and(QueryParts.field(alias, column).isNotNull());
    }
    for (ColumnInfo column : values) {
      select.add(text(alias, column));
    }
    return context
        .select(select)
        .from(QueryParts.table(side.table(), alias))
        .where(scope)
        .orderBy(order);
  }

  private ResultQuery<Record> childRows(DSLContext context) {
    return stream(context, child, "c", childValues);
  }

  private ResultQuery<Record> parentRows(DSLContext context) {
    return stream(context, parent, "p", compared.stream().map(KeyColumn::parent).toList());
  }

  /**
   * The current compared values of the parents of {@code candidates} (key values as text), in a
   * fresh snapshot: rows of the candidate's 1-based index and the values; none for a parent that is
   * gone (or no longer within the parent filter).
   */
  private ResultQuery<Record> recheck(DSLContext context, List<String[]> candidates) {
    List<Field<?>> arrays = Sides.textArrays(candidates, keys.size());
    List<Name> names = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      names.add(DSL.name("k" + k));
    }
    names.add(DSL.name("i"));
    Condition found = Sides.parentOfCandidate(keys, parent.filter().orElse(DSL.noCondition()));
    List<Field<?>> select = new ArrayList<>();
    for (KeyColumn pair : compared) {
      select.add(text("p", pair.parent()));
    }
    // the table unaliased: a plain SQL template renders an aliased table as its alias alone
    Table<?> parentTable =
        DSL.table(DSL.name(parent.table().id().schema(), parent.table().id().name()));
    return context.resultQuery(
        "select u.i, {0} from unnest({1}) with ordinality as u({2}) join {3} as p on {4}",
        DSL.list(select),
        DSL.list(arrays),
        DSL.list(names.stream().map(DSL::field).toList()),
        parentTable,
        found);
  }

  // ---- the merge ----------------------------------------------------------------------------

  @Override
  public Measurement execute(
      DSLContext childContext, DSLContext parentContext, KeySink keySink, Duration timeout) {
    Sides.pinTextForms(childContext);
    Sides.pinTextForms(parentContext);
    Run run = new Run(parentContext, ScanDeadline.after(timeout));
    try (Findings findings =
        new Findings(child, childContext, keySink, sampleNames.size(), sampleSize)) {
      run.findings = findings;
      // both streams start at once, each on its own thread: the two servers sort together
      ReadAhead.merged(
          () ->
              ReadAhead.cursor(
                  child,
                  childContext,
                  childRows(childContext),
                  MergeScan.FETCH_SIZE,
                  row -> read(row, childValues.size())),
          () ->
              ReadAhead.cursor(
                  parent,
                  parentContext,
                  parentRows(parentContext),
                  MergeScan.FETCH_SIZE,
                  row -> read(row, compared.size())),
          (childRows, parentRows) -> run.merge(childRows, parentRows));
      run.flushCandidates();
      findings.complete();
      List<String> notes = new ArrayList<>();
      if (run.cleared > 0) {
        notes.add(
            Plural.of(run.cleared, "row")
                + " that differed from its parent as first read matched its parent's current row"
                + " (or the parent was gone) on the re-check in a fresh snapshot of "
                + parent.target()
                + ": not counted");
      }
      return new ScanPartial(run.rowsChecked, findings.violations(), findings.sample(), sampleSize)
          .measurement(sampleNames, sampleNumeric, notes);
    } catch (SQLException e) {
      throw new DataAccessException(e.getMessage(), e);
    }
  }

  /** A row of a side's stream: its key columns' values, then {@code values} texts. */
  private Object[] read(ReadAhead.Row row, int values) throws SQLException {
    int width = keys.size();
    Object[] read = new Object[width + values];
    for (int k = 0; k < width; k++) {
      read[k] = keys.get(k).value(row.text(k));
    }
    for (int i = 0; i < values; i++) {
      read[width + i] = row.text(width + i);
    }
    return read;
  }

  /** A child row that differed from its parent as first read. */
  private record Candidate(String[] key, String[] values, List<String> sample) {}

  /** The state of one execution. */
  private final class Run {
    private final DSLContext parentContext;
    private final ScanDeadline deadline;
    private final List<Candidate> candidates = new ArrayList<>();
    private Findings findings;
    private long rowsChecked;
    private long cleared;

    Run(DSLContext parentContext, ScanDeadline deadline) {
      this.parentContext = parentContext;
      this.deadline = deadline;
    }

    void merge(ReadAhead childRows, ReadAhead parentRows) throws SQLException {
      int width = keys.size();
      ReadAhead.WaitCheck waiting = deadline.orFailureOf(childRows, parentRows);
      Object[] parentRow = parentRows.next(waiting);
      Object[] childRow;
      long read = 0;
      while ((childRow = childRows.next(waiting)) != null) {
        read++;
        if (read % MergeScan.DEADLINE_EVERY == 0) {
          deadline.check();
        }
        int order = -1;
        while (parentRow != null && (order = KeyColumn.compare(keys, parentRow, childRow)) < 0) {
          parentRow = parentRows.next(waiting);
        }
        if (parentRow == null || order != 0) {
          continue; // no parent: the orphan kind's finding, not checked here
        }
        rowsChecked++;
        String[] values = new String[compared.size()];
        String[] parentValues = new String[compared.size()];
        for (int i = 0; i < compared.size(); i++) {
          values[i] = value(childRow, comparedSource[i]);
          parentValues[i] = (String) parentRow[width + i];
        }
        if (!differs(values, parentValues)) {
          continue;
        }
        String[] keyText = new String[width];
        for (int k = 0; k < width; k++) {
          keyText[k] = KeyColumn.text(childRow[k]);
        }
        List<String> sample = new ArrayList<>(childSample.length);
        for (int source : childSample) {
          sample.add(value(childRow, source));
        }
        candidates.add(new Candidate(keyText, values, sample));
        if (candidates.size() >= MergeScan.BATCH) {
          flushCandidates();
        }
      }
    }

    /** A child column's text in a row of the child's stream ({@link #source}). */
    private String value(Object[] childRow, int source) {
      return source >= 0
          ? KeyColumn.text(childRow[source])
          : (String) childRow[keys.size() + (-1 - source)];
    }

    /**
     * Re-checks the pending candidates against their parents' current rows (a fresh snapshot of the
     * parent's database): a candidate whose parent now matches, or is gone, is not counted.
     */
    void flushCandidates() throws SQLException {
      if (candidates.isEmpty()) {
        return;
      }
      beforeRecheck.run();
      List<String[]> keyTexts = candidates.stream().map(Candidate::key).toList();
      Map<Long, String[]> current = new HashMap<>();
      for (Record row : Sides.on(parent, () -> recheck(parentContext, keyTexts).fetch())) {
        String[] values = new String[compared.size()];
        for (int i = 0; i < compared.size(); i++) {
          values[i] = row.get(1 + i, String.class);
        }
        current.put(row.get(0, Long.class), values);
      }
      for (int i = 0; i < candidates.size(); i++) {
        Candidate candidate = candidates.get(i);
        String[] now = current.get((long) i + 1);
        if (now == null || !differs(candidate.values(), now)) {
          cleared++;
          continue;
        }
        List<String> sample = new ArrayList<>(candidate.sample());
        for (int pair : parentSample) {
          sample.add(now[pair]);
        }
        findings.add(sample);
      }
      candidates.clear();
    }
  }

  /** Whether any compared pair differs, by the kind's NULL policy and the cross-server rule. */
  private boolean differs(String[] childValues, String[] parentValues) {
    for (int i = 0; i < compared.size(); i++) {
      String a = childValues[i];
      String b = parentValues[i];
      if (a == null || b == null) {
        if (!ignoreNulls && (a == null) != (b == null)) {
          return true;
        }
      } else if (!same(compared.get(i), a, b)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Two non-null values' text forms compared by the documented rule: exact numbers by value ({@code
   * 1.50 = 1.5}), anything else (integers and uuids have one text form per value) byte by byte.
   */
  private static boolean same(KeyColumn pair, String a, String b) {
    if (pair.comparison() == KeyColumn.Comparison.NUMBER) {
      try {
        return new BigDecimal(a).compareTo(new BigDecimal(b)) == 0;
      } catch (NumberFormatException e) {
        return a.equals(b); // NaN, Infinity: equal only to themselves
      }
    }
    return a.equals(b);
  }
}
