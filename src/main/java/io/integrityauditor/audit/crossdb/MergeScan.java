package io.integrityauditor.audit.crossdb;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.catalog.ColumnInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * An orphan audit whose parent lives in another database: a sorted merge of two server-side
 * streams, the child's rows and the parent's keys, each ordered by the key the same way on both
 * servers ({@link KeyColumn}), each in one READ ONLY transaction. The worker holds one fetch of
 * each stream, a batch of candidates and the sample: its memory does not grow with either table.
 *
 * <pre>
 * child:   SELECT &lt;key&gt;, &lt;sample columns&gt;::text FROM child c WHERE &lt;child filter&gt;
 *          ORDER BY &lt;key&gt; NULLS LAST                  -- every row: the rows checked
 * parent:  SELECT &lt;key&gt; FROM parent p WHERE &lt;parent filter&gt; AND &lt;key&gt; IS NOT NULL
 *          ORDER BY &lt;key&gt;
 * re-check (parent, fresh snapshot, per batch of candidates):
 *          SELECT u.i FROM unnest(?::text[], ...) WITH ORDINALITY u(k0, ..., i)
 *          WHERE EXISTS (SELECT 1 FROM parent p WHERE &lt;parent filter&gt; AND p.k0 = u.k0 ...)
 * fingerprints (child, per batch of violations):
 *          SELECT hashtextextended(ARRAY[u.s0, ...]::text, 0) FROM unnest(...) ... ORDER BY u.i
 * </pre>
 *
 * A child row whose key is not among the parent's is a candidate; candidates are re-checked against
 * the parent in a fresh snapshot (the parent's transaction is READ COMMITTED, each statement sees
 * what is committed when it starts), so that a child created after its parent, whose row the
 * child's snapshot saw but the parent's older snapshot did not, is not reported. What stays a
 * violation gets its fingerprint from the child's server, as a same-database audit's would, and the
 * sample is chosen by the same rule ({@link ScanPartial}): the same answers on the same data.
 */
public final class MergeScan implements AuditQuery, CrossDatabaseScan {
  /** Rows per round trip of each stream. */
  static final int FETCH_SIZE = 10_000;

  /** Candidates per re-check, violations per fingerprint statement. */
  static final int BATCH = 1_000;

  /** How often (in child rows) the scan looks at its deadline. */
  private static final int DEADLINE_EVERY = 4_096;

  /**
   * Whether a child row whose reference has {@code nulls} NULL columns out of {@code width} is a
   * violation: the orphan kind's NULL policy.
   */
  @FunctionalInterface
  public interface NullRule {
    boolean violates(int nulls, int width);
  }

  private final TableColumns.Bound child;
  private final TableColumns.Bound parent;
  private final List<KeyColumn> keys;
  private final NullRule nulls;
  private final List<String> sampleNames;
  private final List<Boolean> sampleNumeric;

  /** For each sample column: the key column it is (0..), or -1 - the extra column it is. */
  private final int[] sampleSource;

  private final List<ColumnInfo> extraColumns;
  private final int sampleSize;

  /** Runs before each re-check: tests change the parent there, between its two snapshots. */
  private Runnable beforeRecheck = () -> {};

  private MergeScan(
      TableColumns.Bound child,
      TableColumns.Bound parent,
      NullRule nulls,
      boolean asText,
      int sampleSize) {
    this.child = child;
    this.parent = parent;
    this.nulls = nulls;
    this.sampleSize = sampleSize;
    List<KeyColumn> pairs = new ArrayList<>();
    for (int i = 0; i < child.columns().size(); i++) {
      pairs.add(KeyColumn.of(child.columns().get(i), parent.columns().get(i), asText));
    }
    this.keys = List.copyOf(pairs);
    // the sample columns of a same-database orphan audit: the child's identifying columns, then
    // the reference columns (QueryParts.samples)
    List<String> names = new ArrayList<>(child.table().identifyingColumns());
    for (ColumnInfo column : child.columns()) {
      if (!names.contains(column.name())) {
        names.add(column.name());
      }
    }
    List<Boolean> numeric = new ArrayList<>();
    List<ColumnInfo> extra = new ArrayList<>();
    int[] source = new int[names.size()];
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      ColumnInfo column = child.table().column(name).orElseThrow();
      numeric.add(column.type().category() == 'N');
      int key = child.columns().stream().map(ColumnInfo::name).toList().indexOf(name);
      if (key >= 0) {
        source[i] = key;
      } else {
        source[i] = -1 - extra.size();
        extra.add(column);
      }
    }
    this.sampleNames = List.copyOf(names);
    this.sampleNumeric = List.copyOf(numeric);
    this.sampleSource = source;
    this.extraColumns = List.copyOf(extra);
  }

  /**
   * The orphans of {@code child} (bound in the audit's target) among {@code parent}'s keys (bound
   * in another target): sides as the orphan kind binds them ({@code c} and {@code p} aliases).
   */
  public static MergeScan orphans(
      TableColumns.Bound child,
      TableColumns.Bound parent,
      NullRule nulls,
      boolean asText,
      int sampleSize) {
    return new MergeScan(child, parent, nulls, asText, sampleSize);
  }

  /** For tests: {@code hook} runs before each re-check statement. */
  MergeScan beforeRecheck(Runnable hook) {
    this.beforeRecheck = hook;
    return this;
  }

  @Override
  public String parentTarget() {
    return parent.target();
  }

  @Override
  public Optional<CrossDatabaseScan> acrossDatabases() {
    return Optional.of(this);
  }

  @Override
  public List<String> relations() {
    return QueryParts.relations(child.table(), parent.table());
  }

  /** Never one statement: its sides are in two databases (see {@link #acrossDatabases}). */
  @Override
  public Measurement execute(DSLContext context) {
    throw new IllegalStateException(
        "a reference across databases runs on both targets at once (CrossDatabaseRun)");
  }

  @Override
  public List<String> sql(DSLContext context) {
    return childSql(context);
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
        context.renderInlined(parentKeys(context)),
        context.renderInlined(recheck(context, List.of())));
  }

  // ---- the statements -----------------------------------------------------------------------

  private ResultQuery<Record> childRows(DSLContext context) {
    List<Field<?>> select = new ArrayList<>();
    List<SortField<?>> order = new ArrayList<>();
    for (KeyColumn key : keys) {
      Field<?> field = key.ordered("c", key.child());
      select.add(field);
      order.add(field.asc().nullsLast());
    }
    for (ColumnInfo column : extraColumns) {
      select.add(QueryParts.field("c", column).cast(SQLDataType.CLOB));
    }
    return context
        .select(select)
        .from(QueryParts.table(child.table(), "c"))
        .where(child.filter().orElse(DSL.noCondition()))
        .orderBy(order);
  }

  private ResultQuery<Record> parentKeys(DSLContext context) {
    List<Field<?>> select = new ArrayList<>();
    List<SortField<?>> order = new ArrayList<>();
    Condition present = parent.filter().orElse(DSL.noCondition());
    for (KeyColumn key : keys) {
      Field<?> field = key.ordered("p", key.parent());
      select.add(field);
      order.add(field.asc());
      present = present.and(QueryParts.field("p", key.parent()).isNotNull());
    }
    return context
        .select(select)
        .from(QueryParts.table(parent.table(), "p"))
        .where(present)
        .orderBy(order);
  }

  /** Which of {@code candidates} (key values as text) have a parent now: their 1-based indexes. */
  private ResultQuery<Record> recheck(DSLContext context, List<String[]> candidates) {
    List<Field<?>> arrays = new ArrayList<>();
    List<Name> names = new ArrayList<>();
    Condition found = parent.filter().orElse(DSL.noCondition());
    for (int k = 0; k < keys.size(); k++) {
      String[] column = new String[candidates.size()];
      for (int i = 0; i < candidates.size(); i++) {
        column[i] = candidates.get(i)[k];
      }
      arrays.add(DSL.val(column, SQLDataType.CLOB.array()));
      names.add(DSL.name("k" + k));
      found =
          found.and(
              keys.get(k)
                  .matches(
                      QueryParts.field("p", keys.get(k).parent()),
                      DSL.field(DSL.name("u", "k" + k), String.class)));
    }
    names.add(DSL.name("i"));
    Table<?> parentTable = QueryParts.table(parent.table(), "p");
    return context.resultQuery(
        "select u.i from unnest({0}) with ordinality as u({1}) where exists ({2})",
        DSL.list(arrays),
        DSL.list(names.stream().map(DSL::field).toList()),
        DSL.selectOne().from(parentTable).where(found));
  }

  // ---- the merge ----------------------------------------------------------------------------

  @Override
  public Measurement execute(
      DSLContext childContext, DSLContext parentContext, KeySink keySink, Duration timeout) {
    Run run = new Run(childContext, parentContext, keySink, System.nanoTime() + timeout.toNanos());
    return run.scan(timeout);
  }

  /** The state of one execution: counts, pending batches, the sample so far. */
  private final class Run {
    private final DSLContext childContext;
    private final DSLContext parentContext;
    private final KeySink sink;
    private final long deadline;
    private long rowsChecked;
    private long violations;
    private long cleared;
    private long tracked;
    private ScanPartial sample = new ScanPartial(0, 0, List.of(), sampleSize);
    private final List<String[]> candidateKeys = new ArrayList<>();
    private final List<List<String>> candidateSamples = new ArrayList<>();
    private final List<List<String>> confirmed = new ArrayList<>();
    private KeySink.Part part;

    Run(DSLContext childContext, DSLContext parentContext, KeySink sink, long deadline) {
      this.childContext = childContext;
      this.parentContext = parentContext;
      this.sink = sink;
      this.deadline = deadline;
    }

    Measurement scan(Duration timeout) {
      Sides.pinTextForms(childContext);
      Sides.pinTextForms(parentContext);
      try {
        part = sink.cap() > 0 ? sink.open(Tracking.FULL) : null;
        try (ResultSet childRows =
                Sides.on(
                    child, () -> childRows(childContext).fetchSize(FETCH_SIZE).fetchResultSet());
            ResultSet parentRows =
                Sides.on(
                    parent,
                    () -> parentKeys(parentContext).fetchSize(FETCH_SIZE).fetchResultSet())) {
          merge(childRows, parentRows, timeout);
        }
        flushCandidates();
        flushConfirmed();
        if (part != null) {
          part.commit();
        }
      } catch (SQLException e) {
        throw new DataAccessException(e.getMessage(), e);
      } finally {
        if (part != null) {
          part.close();
        }
      }
      List<String> notes = new ArrayList<>();
      if (cleared > 0) {
        notes.add(
            Plural.of(cleared, "candidate orphan")
                + " found its parent on the re-check in a fresh snapshot of "
                + parent.target()
                + " (written while the audit ran): not counted");
      }
      return new ScanPartial(rowsChecked, violations, sample.sample(), sampleSize)
          .measurement(sampleNames, sampleNumeric, notes);
    }

    private void merge(ResultSet childRows, ResultSet parentRows, Duration timeout)
        throws SQLException {
      int width = keys.size();
      Object[] parentKey = next(parentRows);
      Object[] childKey = new Object[width];
      while (Sides.on(child, childRows::next)) {
        rowsChecked++;
        if (rowsChecked % DEADLINE_EVERY == 0 && System.nanoTime() > deadline) {
          // PostgreSQL's own code for a cancelled statement: the run is a timeout, never a result
          throw new SQLTimeoutException(
              "the cross-database scan did not finish within the audit's timeout of "
                  + timeout.toSeconds()
                  + " s",
              "57014");
        }
        int missing = 0;
        for (int k = 0; k < width; k++) {
          childKey[k] = keys.get(k).read(childRows, k + 1);
          if (childKey[k] == null) {
            missing++;
          }
        }
        if (missing > 0) {
          if (nulls.violates(missing, width)) {
            confirmed.add(sampleOf(childRows, childKey));
            flushConfirmedIfFull();
          }
          continue;
        }
        int order = -1;
        while (parentKey != null && (order = compare(parentKey, childKey)) < 0) {
          parentKey = next(parentRows);
        }
        if (parentKey != null && order == 0) {
          continue;
        }
        String[] text = new String[width];
        for (int k = 0; k < width; k++) {
          text[k] = KeyColumn.text(childKey[k]);
        }
        candidateKeys.add(text);
        candidateSamples.add(sampleOf(childRows, childKey));
        if (candidateKeys.size() >= BATCH) {
          flushCandidates();
        }
      }
    }

    private Object[] next(ResultSet parentRows) throws SQLException {
      if (!Sides.on(parent, parentRows::next)) {
        return null;
      }
      Object[] key = new Object[keys.size()];
      for (int k = 0; k < keys.size(); k++) {
        key[k] = keys.get(k).read(parentRows, k + 1);
      }
      return key;
    }

    private int compare(Object[] parentKey, Object[] childKey) {
      for (int k = 0; k < keys.size(); k++) {
        int order = keys.get(k).compare(parentKey[k], childKey[k]);
        if (order != 0) {
          return order;
        }
      }
      return 0;
    }

    /** The sample columns' text of the current child row. */
    private List<String> sampleOf(ResultSet childRows, Object[] childKey) throws SQLException {
      List<String> values = new ArrayList<>(sampleSource.length);
      for (int source : sampleSource) {
        values.add(
            source >= 0
                ? KeyColumn.text(childKey[source])
                : childRows.getString(keys.size() + 1 + (-1 - source)));
      }
      return values;
    }

    /** Re-checks the pending candidates against the parent in a fresh snapshot. */
    private void flushCandidates() throws SQLException {
      if (candidateKeys.isEmpty()) {
        return;
      }
      beforeRecheck.run();
      Set<Long> found =
          new HashSet<>(
              Sides.on(parent, () -> recheck(parentContext, candidateKeys).fetch(0, Long.class)));
      for (int i = 0; i < candidateKeys.size(); i++) {
        if (found.contains((long) i + 1)) {
          cleared++;
        } else {
          confirmed.add(candidateSamples.get(i));
        }
      }
      candidateKeys.clear();
      candidateSamples.clear();
      flushConfirmedIfFull();
    }

    private void flushConfirmedIfFull() throws SQLException {
      if (confirmed.size() >= BATCH) {
        flushConfirmed();
      }
    }

    /** Counts the pending violations, fingerprints them on the child's server, keeps the sample. */
    private void flushConfirmed() throws SQLException {
      if (confirmed.isEmpty()) {
        return;
      }
      List<Long> fingerprints =
          Sides.on(
              child,
              () ->
                  Sides.fingerprints(childContext, sampleNames.size(), confirmed)
                      .fetch(0, Long.class));
      List<ScanPartial.Candidate> batch = new ArrayList<>();
      for (int i = 0; i < confirmed.size(); i++) {
        batch.add(new ScanPartial.Candidate(fingerprints.get(i), confirmed.get(i)));
      }
      violations += confirmed.size();
      sample = sample.merge(new ScanPartial(0, 0, batch, sampleSize));
      if (part != null && tracked < sink.cap()) {
        int room = (int) Math.min(fingerprints.size(), sink.cap() - tracked);
        long[] kept = new long[room];
        for (int i = 0; i < room; i++) {
          kept[i] = fingerprints.get(i);
        }
        part.add(kept, null);
        tracked += room;
      }
      confirmed.clear();
    }
  }
}
