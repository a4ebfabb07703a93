package io.integrityauditor.audit.crossdb;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.CrossDatabaseRanges;
import io.integrityauditor.audit.scan.KeyScheme;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.ResultQuery;
import org.jooq.SortField;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * An orphan audit whose parent lives in another database: a sorted merge of two server-side
 * streams, the child's distinct keys with their row counts and the parent's keys, each ordered by
 * the key the same way on both servers ({@link KeyColumn}), each read as a COPY so that its server
 * may run it in parallel workers ({@link ReadAhead#copy}); then the rows of the violating keys
 * only, read back from the child. The worker holds two batches of each stream, up to {@link
 * #CANDIDATES_IN_MEMORY} candidates (the rest in a temporary file: {@link CandidateKeys}), a batch
 * of violating keys and the sample: its memory does not grow with either table.
 *
 * <pre>
 * child keys:  SELECT &lt;key&gt;, count(*) FROM child c WHERE &lt;child filter&gt;
 *              GROUP BY &lt;key&gt; ORDER BY &lt;key&gt; NULLS LAST   -- the rows checked, by key
 * parent:      SELECT &lt;key&gt; FROM parent p WHERE &lt;parent filter&gt; AND &lt;key&gt; IS NOT NULL
 *              ORDER BY &lt;key&gt;
 * re-check (parent, fresh snapshot, per batch of candidate keys):
 *              SELECT u.i FROM unnest(?::text[], ...) WITH ORDINALITY u(k0, ..., i)
 *              WHERE EXISTS (SELECT 1 FROM parent p WHERE &lt;parent filter&gt; AND p.k0 = u.k0 ...)
 * rows (child, per batch of violating keys; NULL references apart):
 *              SELECT hashtextextended(ARRAY[&lt;sample columns&gt;::text]::text, 0), &lt;sample columns&gt;::text
 *              FROM child c WHERE &lt;child filter&gt;
 *              AND EXISTS (SELECT 1 FROM unnest(?::text[], ...) u(k0, ...) WHERE c.k0 = u.k0 ...)
 * </pre>
 *
 * Why keys and counts rather than rows: the server hashes the child's rows into their distinct keys
 * and sorts only those (a sort of every row, when no index gives the order, cost 4 to 6 times the
 * anti-join), and only keys cross the network; the rows statement reads the child once more but
 * sends only the violating rows. Both child statements run in the child's one REPEATABLE READ
 * snapshot, so the rows they find are the rows counted (checked: a difference is an error).
 *
 * <p>A key that is not among the parent's is a candidate; candidates are re-checked against the
 * parent in a fresh snapshot (the parent's transaction is READ COMMITTED, each statement sees what
 * is committed when it starts), so that a child created after its parent, whose row the child's
 * snapshot saw but the parent's older snapshot did not, is not reported. The violating rows get
 * their fingerprints from the child's server, as a same-database audit's do, and the sample is
 * chosen by the same rule ({@link ScanPartial}): the same answers on the same data.
 */
public final class MergeScan extends ScanAcross implements CrossDatabaseRanges {
  /** Rows per round trip of each stream. */
  static final int FETCH_SIZE = 10_000;

  /** Candidate keys per re-check, violating rows per merge into the sample. */
  static final int BATCH = 1_000;

  /**
   * Violating keys per rows statement: each such statement may read the child once more (a hash
   * join of the child against the keys, unless an index on the child's key answers it), so a large
   * batch; 100,000 keys of text are a few MB of heap.
   */
  static final int KEYS_PER_STATEMENT = 100_000;

  /**
   * Candidate keys held in the heap until the streams end (a few MB of text); more go to a file.
   */
  static final int CANDIDATES_IN_MEMORY = 100_000;

  /** How often (in keys or rows) the scan looks at its deadline. */
  static final int DEADLINE_EVERY = 4_096;

  /**
   * Whether a child row whose reference has {@code nulls} NULL columns out of {@code width} is a
   * violation: the orphan kind's NULL policy.
   */
  @FunctionalInterface
  public interface NullRule {
    boolean violates(int nulls, int width);
  }

  private final NullRule nulls;
  private final List<String> sampleNames;
  private final List<Boolean> sampleNumeric;

  /** The sample columns of the child, as the rows statement reads them. */
  private final List<Field<Object>> sampleFields;

  /**
   * How the child's keys are fingerprinted when the audit's kept key set does not say otherwise: as
   * a same-database orphan audit of the child does ({@link ViolationScan#integerKey}), so both show
   * the same sample.
   */
  private final KeyScheme scheme;

  /** The numbers of NULL key columns that make a row a violation (the NULL policy). */
  private final List<Integer> violatingNulls;

  private final int sampleSize;

  /** Candidate keys held in the heap ({@link #CANDIDATES_IN_MEMORY}; tests lower it). */
  private int candidatesInMemory = CANDIDATES_IN_MEMORY;

  private MergeScan(
      TableColumns.Bound child,
      TableColumns.Bound parent,
      NullRule nulls,
      boolean asText,
      int sampleSize) {
    super(child, parent, asText);
    this.nulls = nulls;
    this.sampleSize = sampleSize;
    // the sample columns of a same-database orphan audit: the child's identifying columns, then
    // the reference columns (QueryParts.samples)
    List<String> names = childSampleNames(List.of());
    List<Boolean> numeric = new ArrayList<>();
    List<Field<Object>> fields = new ArrayList<>();
    for (String name : names) {
      ColumnInfo column = child.table().column(name).orElseThrow();
      numeric.add(column.type().category() == 'N');
      fields.add(QueryParts.field("c", column));
    }
    this.sampleNames = List.copyOf(names);
    this.sampleNumeric = List.copyOf(numeric);
    this.sampleFields = List.copyOf(fields);
    this.scheme = ViolationScan.integerKey(child.table(), sampleNames, sampleNames.size());
    List<Integer> violating = new ArrayList<>();
    for (int missing = 1; missing <= keys.size(); missing++) {
      if (nulls.violates(missing, keys.size())) {
        violating.add(missing);
      }
    }
    this.violatingNulls = List.copyOf(violating);
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

  /**
   * Why the reference cannot run in chunks, if it cannot: each chunk reads a range of the child's
   * reference, which without an index answering it would read the whole child once per chunk.
   */
  public static Optional<String> whyNotChunked(
      TableColumns.Bound child, TableColumns.Bound parent, boolean asText) {
    KeyColumn first = KeyColumn.of(child.columns().get(0), parent.columns().get(0), asText);
    if (child.table().indexes().stream().anyMatch(first::rangeUses)) {
      return Optional.empty();
    }
    String column = first.child().name();
    boolean text = first.comparison() == KeyColumn.Comparison.TEXT;
    return Optional.of(
        "chunked runs across databases split "
            + child.table().id()
            + " into ranges of "
            + column
            + (text ? " in byte order (COLLATE \"C\")" : "")
            + " on both servers, and no index of the table starts with it"
            + (text ? " in that order" : "")
            + ": every chunk would read the whole table; create one (CREATE INDEX CONCURRENTLY ON "
            + child.table().id()
            + " ("
            + column
            + (text ? " COLLATE \"C\"" : "")
            + ")) or use mode: full or auto");
  }

  /** For tests: candidate keys beyond {@code keys} go to a file. */
  MergeScan candidatesInMemory(int keys) {
    this.candidatesInMemory = keys;
    return this;
  }

  @Override
  public Optional<CrossDatabaseRanges> ranges() {
    return Optional.of(this);
  }

  @Override
  public TableInfo table() {
    return child.table();
  }

  @Override
  public ColumnInfo key() {
    return keys.get(0).child();
  }

  @Override
  public List<String> inKeyOrder(List<String> bounds) {
    KeyColumn first = keys.get(0);
    Comparator<String> order = (a, b) -> first.compare(first.parse(a), first.parse(b));
    List<String> sorted = new ArrayList<>();
    for (String bound : bounds.stream().sorted(order).toList()) {
      if (sorted.isEmpty() || order.compare(sorted.get(sorted.size() - 1), bound) != 0) {
        sorted.add(bound);
      }
    }
    return sorted;
  }

  @Override
  public ScanPartial scan(
      DSLContext childContext,
      DSLContext parentContext,
      Optional<String> lower,
      Optional<String> upper,
      Tracking keys,
      Duration timeout) {
    return new Run(childContext, parentContext, new Range(lower, upper), keys, timeout).scan();
  }

  @Override
  public Measurement measurement(ScanPartial total) {
    return total.measurement(sampleNames, sampleNumeric, List.of());
  }

  @Override
  public List<String> childSql(DSLContext context) {
    return List.of(
        context.renderInlined(childKeys(context, Range.ALL, hashedOrder())),
        context.renderInlined(violatingRows(context, withKeys(List.of()))));
  }

  @Override
  public List<String> parentSql(DSLContext context) {
    return List.of(
        context.renderInlined(parentKeys(context, Range.ALL, hashedOrder())),
        context.renderInlined(recheck(context, List.of())));
  }

  // ---- the statements -----------------------------------------------------------------------

  /**
   * Bounds of the reference's first column, in merge order: a chunked run's key range; empty bounds
   * are open, and the range that is open above also holds the keys whose first column is NULL.
   */
  private record Range(Optional<String> lower, Optional<String> upper) {
    static final Range ALL = new Range(Optional.empty(), Optional.empty());
  }

  /** The rows of {@code range} on a side ({@code alias}, its first key column). */
  private Condition within(Range range, String alias, ColumnInfo column) {
    Condition bounded = keys.get(0).range(alias, column, range.lower(), range.upper());
    return range.upper().isEmpty() && range.lower().isPresent()
        ? bounded.or(QueryParts.field(alias, column).isNull())
        : bounded;
  }

  /**
   * Whether the streams are ordered by a hash of the first key column's text form before the key
   * itself: when that column is compared by text. Any order serves the merge as long as both
   * servers sort alike; sorting text in "C" order compares strings (slow when keys share a prefix,
   * as generated ids do: the sort's abbreviated keys stop helping), sorting by a bigint first is
   * several times faster (measured: docs/performance.md). No index gives the text's "C" order
   * unless it was created so, so nothing is lost for the usual index.
   */
  private boolean hashedOrder() {
    return keys.get(0).comparison() == KeyColumn.Comparison.TEXT;
  }

  /**
   * The child's distinct keys in merge order, each with its number of rows: the key columns, the
   * count, then the order's hash when {@code hashed}.
   */
  private ResultQuery<Record> childKeys(DSLContext context, Range range, boolean hashed) {
    // grouped by the key alone, the hash computed once per distinct key rather than per row: the
    // grouping's cost is per row (hashing a (bigint, text) pair for each of 10 M rows took 31 s
    // where the text alone took 17 s, load 20; docs/performance.md)
    List<Field<?>> inner = new ArrayList<>();
    List<Field<?>> group = new ArrayList<>();
    List<Field<?>> select = new ArrayList<>();
    List<SortField<?>> order = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      KeyColumn key = keys.get(k);
      Field<?> field = key.ordered("c", key.child());
      inner.add(field.as("k" + k));
      group.add(field);
      Field<Object> grouped = DSL.field(DSL.name("g", "k" + k));
      select.add(grouped);
      order.add(grouped.asc().nullsLast());
    }
    inner.add(DSL.count().as("n"));
    select.add(DSL.field(DSL.name("g", "n")));
    if (hashed) {
      Field<Long> hash = KeyColumn.orderHash(DSL.field(DSL.name("g", "k0")));
      select.add(hash);
      order.add(0, hash.asc().nullsLast());
    }
    return context
        .select(select)
        .from(
            context
                .select(inner)
                .from(QueryParts.table(child.table(), "c"))
                .where(
                    child
                        .filter()
                        .orElse(DSL.noCondition())
                        .and(within(range, "c", keys.get(0).child())))
                .groupBy(group)
                .asTable("g"))
        .orderBy(order);
  }

  /** The parent's keys in merge order: the key columns, then the order's hash when hashed. */
  private ResultQuery<Record> parentKeys(DSLContext context, Range range, boolean hashed) {
    List<Field<?>> select = new ArrayList<>();
    List<SortField<?>> order = new ArrayList<>();
    Condition present =
        parent
            .filter()
            .orElse(DSL.noCondition())
            .and(keys.get(0).range("p", keys.get(0).parent(), range.lower(), range.upper()));
    Field<Long> hash = KeyColumn.orderHash(QueryParts.field("p", keys.get(0).parent()));
    if (hashed) {
      order.add(hash.asc());
    }
    for (KeyColumn key : keys) {
      Field<?> field = key.ordered("p", key.parent());
      select.add(field);
      order.add(field.asc());
      present = present.and(QueryParts.field("p", key.parent()).isNotNull());
    }
    if (hashed) {
      select.add(hash);
    }
    return context
        .select(select)
        .from(QueryParts.table(parent.table(), "p"))
        .where(present)
        .orderBy(order);
  }

  /** Which of {@code candidates} (key values as text) have a parent now: their 1-based indexes. */
  private ResultQuery<Record> recheck(DSLContext context, List<String[]> candidates) {
    Condition found = Sides.parentOfCandidate(keys, parent.filter().orElse(DSL.noCondition()));
    return context.resultQuery(
        "select u.i from unnest({0}) with ordinality as u({1}, i) where exists ({2})",
        DSL.list(Sides.textArrays(candidates, keys.size())),
        DSL.list(names(keys.size())),
        DSL.selectOne().from(QueryParts.table(parent.table(), "p")).where(found));
  }

  /**
   * The child's rows whose key is one of {@code violating} (values as text, no NULL among them).
   */
  private Condition withKeys(List<String[]> violating) {
    Condition same = DSL.noCondition();
    for (int k = 0; k < keys.size(); k++) {
      same =
          same.and(keys.get(k).childMatches("c", DSL.field(DSL.name("u", "k" + k), String.class)));
    }
    return DSL.exists(
        DSL.selectOne()
            .from(
                DSL.table("unnest({0})", DSL.list(Sides.textArrays(violating, keys.size())))
                    .as(
                        "u",
                        names(keys.size()).stream().map(Field::getName).toArray(String[]::new)))
            .where(same));
  }

  /**
   * The child's rows of {@code range} whose reference has a number of NULL columns that the NULL
   * policy counts.
   */
  private Condition withViolatingNulls(Range range) {
    List<Field<?>> columns = new ArrayList<>();
    for (KeyColumn key : keys) {
      columns.add(QueryParts.field("c", key.child()));
    }
    return DSL.function("num_nulls", Integer.class, columns.toArray(Field[]::new))
        .in(violatingNulls)
        .and(within(range, "c", keys.get(0).child()));
  }

  /**
   * The child's rows that {@code which} selects, each with its fingerprint and sample columns'
   * text, computed by the child's server exactly as a same-database scan computes them
   * (ViolationScan).
   */
  private ResultQuery<Record> violatingRows(DSLContext context, Condition which) {
    return violatingRows(context, which, scheme);
  }

  /**
   * @param in the scheme of the fingerprints: this scan's, or that of the audit's kept key set (a
   *     scan across databases does not translate a kept set: it keeps the set's scheme)
   */
  private ResultQuery<Record> violatingRows(DSLContext context, Condition which, KeyScheme in) {
    List<Field<?>> select = new ArrayList<>();
    select.add(
        in.typed()
            ? ViolationScan.integerFingerprint(in, scheme, sampleNames, sampleFields)
            : ViolationScan.fingerprint(sampleFields));
    for (Field<Object> field : sampleFields) {
      select.add(field.cast(SQLDataType.CLOB));
    }
    return context
        .select(select)
        .from(QueryParts.table(child.table(), "c"))
        .where(child.filter().orElse(DSL.noCondition()).and(which));
  }

  private static List<Field<?>> names(int width) {
    List<Field<?>> names = new ArrayList<>();
    for (int k = 0; k < width; k++) {
      names.add(DSL.field(DSL.name("k" + k)));
    }
    return names;
  }

  // ---- the merge ----------------------------------------------------------------------------

  @Override
  public Measurement execute(
      DSLContext childContext, DSLContext parentContext, KeySink keySink, Duration timeout) {
    Run run =
        new Run(
            childContext, parentContext, Range.ALL, new Tracking(keySink, Tracking.FULL), timeout);
    ScanPartial partial = run.scan();
    List<String> notes = new ArrayList<>();
    if (run.cleared > 0) {
      notes.add(
          Plural.of(run.cleared, "candidate orphan")
              + " found its parent on the re-check in a fresh snapshot of "
              + parent.target()
              + " (written while the audit ran): not counted");
    }
    return partial.measurement(sampleNames, sampleNumeric, notes);
  }

  /** The state of one execution: counts, pending batches, the sample so far. */
  private final class Run {
    private final DSLContext childContext;
    private final DSLContext parentContext;
    private final Range range;
    private final Tracking tracking;
    private final KeySink sink;

    /**
     * The scheme of this run's fingerprints ({@link #violatingRows(DSLContext, Condition,
     * KeyScheme)}).
     */
    private KeyScheme in;

    private final ScanDeadline deadline;
    private long rowsChecked;
    private long violations;
    private long cleared;
    private long tracked;
    private long steps;
    private ScanPartial sample = new ScanPartial(0, 0, List.of(), sampleSize);

    /** Violating keys whose rows are not read yet, and how many rows they stand for. */
    private final List<String[]> violatingKeys = new ArrayList<>();

    private long violatingKeyRows;
    private long violatingNullRows;
    private KeySink.Part part;

    /** Whether both streams are ordered by the hash first ({@link #hashedOrder}). */
    private boolean hashed;

    Run(
        DSLContext childContext,
        DSLContext parentContext,
        Range range,
        Tracking tracking,
        Duration timeout) {
      this.childContext = childContext;
      this.parentContext = parentContext;
      this.range = range;
      this.tracking = tracking;
      this.sink = tracking.sink();
      this.deadline = ScanDeadline.after(timeout);
    }

    /**
     * The rows of the range: counts and sample (the re-check's cleared rows in {@link #cleared}).
     */
    ScanPartial scan() {
      if (!Sides.pinTextForms(childContext).equals("repeatable read")) {
        throw new IllegalStateException(
            "a scan across databases reads the child in two statements: its transaction must be"
                + " REPEATABLE READ (ReadOnlyTransaction.beginRepeatableRead)");
      }
      Sides.pinTextForms(parentContext);
      // the two servers must hash alike (they do unless their byte orders differ): else the
      // streams are sorted by the key alone
      hashed = hashedOrder() && Sides.sameTextHash(childContext, parentContext);
      try (CandidateKeys candidates = new CandidateKeys(keys.size(), candidatesInMemory)) {
        in = sink.cap() > 0 ? sink.keptScheme().orElse(scheme) : scheme;
        part = sink.cap() > 0 ? sink.open(tracking.part(), in) : null;
        // both streams start at once, each on its own thread: the two servers sort together
        ReadAhead.merged(
            () ->
                ReadAhead.copy(
                    child,
                    childContext,
                    childKeys(childContext, range, hashed),
                    FETCH_SIZE,
                    this::childRow),
            () ->
                ReadAhead.copy(
                    parent,
                    parentContext,
                    parentKeys(parentContext, range, hashed),
                    FETCH_SIZE,
                    this::parentRow),
            (childKeys, parentKeys) -> merge(childKeys, parentKeys, candidates));
        // the streams have ended: their connections are free for the re-checks and the rows
        candidates.drain(BATCH, this::recheckBatch);
        flushViolatingKeys();
        if (violatingNullRows > 0) {
          readRows(withViolatingNulls(range), violatingNullRows);
        }
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
      return new ScanPartial(rowsChecked, violations, sample.sample(), sampleSize);
    }

    /** Every few thousand keys or rows: past the deadline, the run is a timeout. */
    private void checkDeadline() throws SQLException {
      if (++steps % DEADLINE_EVERY == 0) {
        deadline.check();
      }
    }

    /**
     * A row of the child's stream: its key columns, its number of rows, then the hash of its order
     * when hashed (Longs).
     */
    private Object[] childRow(ReadAhead.Row row) throws SQLException {
      int width = keys.size();
      Object[] values = new Object[width + 2];
      for (int k = 0; k < width; k++) {
        values[k] = keys.get(k).value(row.text(k));
      }
      values[width] = Long.parseLong(row.text(width));
      if (hashed) {
        // NULL for a key whose first column is NULL: such a key is never compared
        String hash = row.text(width + 1);
        values[width + 1] = hash == null ? null : Long.parseLong(hash);
      }
      return values;
    }

    /** A row of the parent's stream: its key columns, then the hash of its order when hashed. */
    private Object[] parentRow(ReadAhead.Row row) throws SQLException {
      int width = keys.size();
      Object[] key = new Object[width + 1];
      for (int k = 0; k < width; k++) {
        key[k] = keys.get(k).value(row.text(k));
      }
      if (hashed) {
        key[width] = Long.parseLong(row.text(width));
      }
      return key;
    }

    /** A parent's key against a child's (neither with a NULL column), in the streams' order. */
    private int compare(Object[] parentKey, Object[] childKey) {
      int width = keys.size();
      if (hashed) {
        int order = Long.compare((Long) parentKey[width], (Long) childKey[width + 1]);
        if (order != 0) {
          return order;
        }
      }
      return KeyColumn.compare(keys, parentKey, childKey);
    }

    /**
     * Merges the two streams, counting; the keys without a parent go to {@code candidates}, to be
     * re-checked once both streams have ended.
     */
    private void merge(ReadAhead childKeys, ReadAhead parentKeys, CandidateKeys candidates)
        throws SQLException {
      int width = keys.size();
      ReadAhead.WaitCheck waiting = deadline.orFailureOf(childKeys, parentKeys);
      Object[] parentKey = parentKeys.next(waiting);
      Object[] childKey;
      while ((childKey = childKeys.next(waiting)) != null) {
        checkDeadline();
        long rows = (Long) childKey[width];
        rowsChecked += rows;
        int missing = 0;
        for (int k = 0; k < width; k++) {
          if (childKey[k] == null) {
            missing++;
          }
        }
        if (missing > 0) {
          if (nulls.violates(missing, width)) {
            violations += rows;
            violatingNullRows += rows;
          }
          continue;
        }
        int order = -1;
        while (parentKey != null && (order = compare(parentKey, childKey)) < 0) {
          parentKey = parentKeys.next(waiting);
        }
        if (parentKey != null && order == 0) {
          continue;
        }
        String[] text = new String[width];
        for (int k = 0; k < width; k++) {
          text[k] = KeyColumn.text(childKey[k]);
        }
        candidates.add(text, rows);
      }
    }

    /** Re-checks a batch of candidate keys against the parent in a fresh snapshot. */
    private void recheckBatch(List<String[]> candidateKeys, List<Long> candidateRows)
        throws SQLException {
      deadline.check();
      beforeRecheck.run();
      Set<Long> found =
          new HashSet<>(
              Sides.on(parent, () -> recheck(parentContext, candidateKeys).fetch(0, Long.class)));
      for (int i = 0; i < candidateKeys.size(); i++) {
        long rows = candidateRows.get(i);
        if (found.contains((long) i + 1)) {
          cleared += rows;
        } else {
          violations += rows;
          violatingKeys.add(candidateKeys.get(i));
          violatingKeyRows += rows;
        }
      }
      if (violatingKeys.size() >= KEYS_PER_STATEMENT) {
        flushViolatingKeys();
      }
    }

    private void flushViolatingKeys() throws SQLException {
      if (violatingKeys.isEmpty()) {
        return;
      }
      readRows(withKeys(violatingKeys), violatingKeyRows);
      violatingKeys.clear();
      violatingKeyRows = 0;
    }

    /**
     * Reads the violating rows that {@code which} selects from the child, in its snapshot: their
     * fingerprints go to the sample and the key sink. They must be the {@code expected} rows the
     * key stream counted.
     */
    private void readRows(Condition which, long expected) throws SQLException {
      long read = 0;
      List<ScanPartial.Candidate> batch = new ArrayList<>();
      long[] fingerprints = new long[KeySink.BATCH];
      int pending = 0;
      int width = sampleFields.size();
      try (ResultSet rows =
          Sides.on(
              child,
              () ->
                  violatingRows(childContext, which, in).fetchSize(FETCH_SIZE).fetchResultSet())) {
        while (Sides.on(child, rows::next)) {
          checkDeadline();
          read++;
          long fingerprint = rows.getLong(1);
          List<String> values = new ArrayList<>(width);
          for (int s = 0; s < width; s++) {
            values.add(rows.getString(s + 2));
          }
          batch.add(new ScanPartial.Candidate(fingerprint, values));
          if (batch.size() >= BATCH) {
            sample = sample.merge(new ScanPartial(0, 0, batch, sampleSize));
            batch.clear();
          }
          if (part != null && tracked < sink.cap()) {
            fingerprints[pending++] = fingerprint;
            tracked++;
            if (pending == fingerprints.length) {
              part.add(fingerprints.clone(), null);
              pending = 0;
            }
          }
        }
      }
      sample = sample.merge(new ScanPartial(0, 0, batch, sampleSize));
      if (pending > 0) {
        part.add(Arrays.copyOf(fingerprints, pending), null);
      }
      if (read != expected) {
        // both statements read one snapshot by one rule: a difference is a fault, never a result
        throw new IllegalStateException(
            "the child's rows of the violating keys ("
                + read
                + ") are not the rows its key stream counted ("
                + expected
                + ")");
      }
    }
  }
}
