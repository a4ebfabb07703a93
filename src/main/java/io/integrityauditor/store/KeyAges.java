package io.integrityauditor.store;

import io.integrityauditor.config.Durations;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.KeyHistory;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * When each open violating key of an audit was first seen, and whether it is in the audit's
 * baseline (migrations V10, V13): the key set of the latest completed run that tracked its keys,
 * sorted by fingerprint. When a run finishes, {@link #merge} reads that set in order and the run's
 * sorted fingerprints, and walks both at once: one pass gives the new/persisting/gone split, the
 * first-seen times and baseline flags carried over, and the sums for the run, and writes the run's
 * set in order; an array of the kept set whose keys all persist unchanged is adopted by the run
 * instead of written again. A key still violating keeps its first-seen time and baseline flag; a
 * key that is not violating any more drops out, so when it breaks again it is new. The worker holds
 * one fetch of each side and at most two arrays being written, never the whole set.
 */
final class KeyAges {
  static final String TABLE = Store.SCHEMA + ".violation_age";

  /** Ages that {@code violations_older_than} counts, in order (the gauges' bucket labels). */
  static final List<Duration> OLDER_THAN =
      LatestResult.OLDER_THAN.stream().map(age -> Durations.parse(age).orElseThrow()).toList();

  /** Keys per stored array and per fetch of the run's fingerprints sorted by the store. */
  private static final int KEYS_PER_ARRAY = 10_000;

  /** Arrays per fetch (of the kept set, of each sorted run) and per batch of writes. */
  private static final int FETCH_ARRAYS = 4;

  /**
   * The most sorted runs merged in the worker (each holds one fetch); a key set of more (a chunked
   * run of many chunks) is sorted by the store.
   */
  private static final int MAX_SORTED_RUNS = 32;

  /**
   * Memory for the store's sort of a run's fingerprints (when it sorts them, {@link #storeSorted}):
   * a million keys sort in memory (about 60 MB) instead of in temporary files; only in the
   * transaction that finishes the run.
   */
  private static final String SORT_MEMORY = "96MB";

  private KeyAges() {}

  /**
   * What one merge found: the split against the previous key set (null counts when there was none
   * to compare with) and the run's key history.
   *
   * @param keyedRows the violating rows the run's key set stands for
   */
  record Merged(
      long keyedRows,
      KeySets.Split split,
      KeyHistory history,
      Long[] olderThan,
      Optional<Adoption> adoption) {
    /**
     * Moves the kept set's unchanged arrays to the run, if any, now: for what reads the run's set
     * before the caller's batch (which sends it otherwise, {@link #record}).
     */
    Merged adoptNow(DSLContext tx) {
      adoption.ifPresent(a -> a.query(tx).execute());
      return new Merged(keyedRows, split, history, olderThan, Optional.empty());
    }
  }

  /**
   * The kept set's arrays that the run adopts unchanged ({@link Writer}): their rows move to the
   * run (its {@code run_id}, their new {@code seq}); their values (stored out of line, TOAST) stay
   * where they are.
   */
  record Adoption(String auditId, long runId, long keptRun, Integer[] from, Integer[] as) {
    Query query(DSLContext tx) {
      return tx.query(
          "UPDATE "
              + TABLE
              + " a SET run_id = ?, seq = m.seq FROM unnest(?::integer[], ?::integer[])"
              + " AS m(kept, seq) WHERE a.audit_id = ? AND a.run_id = ? AND a.seq = m.kept",
          runId,
          DSL.val(from, SQLDataType.INTEGER.array()),
          DSL.val(as, SQLDataType.INTEGER.array()),
          auditId,
          keptRun);
    }
  }

  /**
   * Merges the key set of finishing run {@code runId} (complete in {@code violation_key}) with the
   * audit's previous one and writes it as the audit's set; in the transaction that finishes the
   * run. When the key set does not add up to {@code violations} (a part lost to a store failure),
   * the previous set is kept and {@code keyedRows} says so; the caller then records the split as
   * incomplete.
   *
   * @param previous the run whose key set this run compares with (the latest completed one that
   *     kept keys); empty: the run is the first tracked
   * @param carry what the run's own key set in {@code violation_key} stands for: all its keys, or
   *     only an incremental run's increment (the rows before its watermark are the kept set's keys)
   */
  static Merged merge(
      DSLContext tx,
      long runId,
      AuditResult result,
      Optional<Long> previous,
      long violations,
      Carry carry) {
    return tx.connectionResult(
        connection -> {
          try {
            return merge(connection, runId, result, previous, violations, carry);
          } catch (SQLException e) {
            throw new StoreException(
                "cannot compare the violating keys of run " + runId + ": " + e.getMessage(), e);
          }
        });
  }

  /**
   * What an incremental run's key set in {@code violation_key} holds (docs/performance.md, "Key
   * sets at a million keys").
   */
  enum Carry {
    /** Every key of the run (a full or chunked run, a sweep). */
    NONE,
    /**
     * The increment's keys only; the rows before the watermark are the kept set's keys, which is
     * the key set of the run the increment carries from: each kept key persists (with the
     * increment's rows of the same key added), none is gone.
     */
    KEPT,
    /**
     * Every key, of which the parts carried from an earlier run were copied (a kept set that is not
     * the carried run's): those parts add up run after run, one sorted run more each time, so the
     * store sorts such a key set.
     */
    COPIED
  }

  private static Merged merge(
      Connection connection,
      long runId,
      AuditResult result,
      Optional<Long> previous,
      long violations,
      Carry carry)
      throws SQLException {
    String auditId = result.audit().id();
    Instant started = result.startedAt();
    Tally tally = new Tally(started, result.audit().threshold().maxAge().map(started::minus));
    RunParts parts = parts(connection, runId, auditId);
    Optional<Long> keptRun = parts.keptRun();
    // the split is exact only against the set of the run compared with; ages and baseline flags
    // are carried from whatever set is kept (after a run over the cap, the last known one)
    boolean comparable = previous.isPresent() && previous.equals(keptRun);
    boolean carried = carry == Carry.KEPT;
    Optional<Adoption> adoption;
    try (PreparedStatement kept =
            connection.prepareStatement(
                "SELECT fingerprints, weights, "
                    + KeptArray.AGES
                    + ", seq, "
                    + KeptArray.FIRST_SEEN
                    + " FROM "
                    + TABLE
                    + " WHERE audit_id = ? AND run_id = ? ORDER BY seq");
        RunKeys now =
            parts.sorted() && carry != Carry.COPIED
                ? new SortedRuns(connection, runId, parts)
                : storeSorted(connection, runId, parts.weighted());
        Writer writer = new Writer(connection, auditId, runId, keptRun.orElse(-1L))) {
      // binary results from the first execution: this runs once per merge, so pgjdbc's default
      // (text until a statement's fifth execution) would have it parse every element of the kept
      // arrays from text (docs/performance.md)
      binary(kept);
      kept.setFetchSize(FETCH_ARRAYS);
      kept.setString(1, auditId);
      kept.setLong(2, keptRun.orElse(-1L));
      try (ResultSet before = kept.executeQuery()) {
        Distinct run = new Distinct(now);
        // array by array of the kept set: the run's keys up to an array's last key are that
        // array's segment; a segment that is the array unchanged (every key persisting with the
        // same rows, none new) is not written again but adopted by the run (Writer)
        while (before.next()) {
          KeptArray array = new KeptArray(before);
          boolean unchanged = true;
          for (int i = 0; i < array.fingerprints.length; i++) {
            long keptKey = array.fingerprints[i];
            long keptWeight = array.weight(i);
            while (run.present() && run.fingerprint < keptKey) {
              tally.newRows += run.weight;
              tally.add(run.weight, tally.startedMicros, false);
              writer.add(run.fingerprint, run.weight, tally.startedMicros, false);
              unchanged = false;
              run.next();
            }
            long firstSeen = array.firstSeen(i);
            boolean baseline = array.baseline(i);
            long weight;
            if (run.present() && run.fingerprint == keptKey) {
              // carried: the increment's rows of a key the rows before the watermark hold
              weight = carried ? keptWeight + run.weight : run.weight;
              run.next();
            } else if (carried) {
              weight = keptWeight;
            } else {
              tally.gone += keptWeight;
              unchanged = false;
              continue;
            }
            unchanged &= weight == keptWeight;
            tally.persisting += weight;
            tally.add(weight, firstSeen, baseline);
            writer.add(keptKey, weight, firstSeen, baseline);
          }
          writer.segmentDone(array.seq, unchanged);
        }
        while (run.present()) {
          tally.newRows += run.weight;
          tally.add(run.weight, tally.startedMicros, false);
          writer.add(run.fingerprint, run.weight, tally.startedMicros, false);
          run.next();
        }
      }
      long keyed = tally.newRows + tally.persisting;
      if (keyed != violations) {
        // a part was lost or written twice: keep the previous set, write nothing
        writer.discard();
        return new Merged(keyed, KeySets.Split.INCOMPLETE, null, null, Optional.empty());
      }
      writer.finish();
      adoption = writer.adoption();
    }
    KeySets.Split split =
        comparable
            ? new KeySets.Split("exact", tally.newRows, tally.persisting, tally.gone)
            : KeySets.Split.FIRST;
    KeyHistory history =
        new KeyHistory(
            tally.baselineRows,
            tally.oldest == Long.MAX_VALUE
                ? Optional.empty()
                : Optional.of(Instant.EPOCH.plus(tally.oldest, ChronoUnit.MICROS)),
            tally.pastGrace,
            tally.pastGraceOutsideBaseline);
    return new Merged(
        tally.newRows + tally.persisting, split, history, tally.olderThan(), adoption);
  }

  private static void binary(PreparedStatement statement) throws SQLException {
    LongArrays.binary(statement);
  }

  /**
   * The run's sorted runs (V12: the worker sorts its keys in bounded runs as they stream, {@link
   * KeySets#RUN_KEYS}), whether any key stands for more than one row, and the run whose key set the
   * audit keeps: one round trip.
   *
   * @param sorted whether the key set is all sorted runs, few enough to read side by side; else the
   *     store sorts it (arrays written before V12, or a chunked run of very many chunks)
   */
  private record RunParts(
      List<Map.Entry<String, Integer>> runs,
      boolean weighted,
      boolean sorted,
      Optional<Long> keptRun) {}

  private static RunParts parts(Connection connection, long runId, String auditId)
      throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT k.part, k.sorted_run, bool_or(k.weights IS NOT NULL),"
                + " (SELECT max(a.run_id) FROM "
                + TABLE
                + " a WHERE a.audit_id = ?) FROM (SELECT 1) AS one LEFT JOIN "
                + Store.SCHEMA
                + ".violation_key k ON k.run_id = ? AND k.part <> '"
                + KeySets.CARRIED
                + "'"
                // an increment's marker (an empty array) is no run to read; by its name, not its
                // cardinality, which would read every array of the run out of line (TOAST)
                + " GROUP BY k.part, k.sorted_run")) {
      statement.setString(1, auditId);
      statement.setLong(2, runId);
      List<Map.Entry<String, Integer>> runs = new ArrayList<>();
      boolean weighted = false;
      boolean sorted = true;
      Optional<Long> keptRun = Optional.empty();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          long kept = rows.getLong(4);
          keptRun = rows.wasNull() ? Optional.empty() : Optional.of(kept);
          String part = rows.getString(1);
          if (part == null) {
            continue; // no keys at all (the LEFT JOIN's one row)
          }
          int run = rows.getInt(2);
          sorted &= !rows.wasNull();
          weighted |= rows.getBoolean(3);
          runs.add(Map.entry(part, run));
        }
      }
      return new RunParts(runs, weighted, sorted && runs.size() <= MAX_SORTED_RUNS, keptRun);
    }
  }

  /**
   * The run's keys in ascending order of fingerprint; a key the scan sent more than once (a key
   * that is not unique in its table, or sent by two chunks) comes as often.
   */
  private interface RunKeys extends AutoCloseable {
    boolean next() throws SQLException;

    long fingerprint();

    long weight();

    @Override
    void close() throws SQLException;
  }

  /**
   * The run's sorted runs read side by side, one fetch of {@link #FETCH_ARRAYS} arrays each, and
   * merged in the worker: the store only reads what the worker wrote in order.
   */
  private static final class SortedRuns implements RunKeys {
    private final List<PreparedStatement> statements = new ArrayList<>();
    private final List<ArrayCursor> cursors = new ArrayList<>();
    private ArrayCursor current;

    SortedRuns(Connection connection, long runId, RunParts parts) throws SQLException {
      try {
        for (Map.Entry<String, Integer> run : parts.runs()) {
          PreparedStatement statement =
              connection.prepareStatement(
                  "SELECT fingerprints, weights FROM "
                      + Store.SCHEMA
                      + ".violation_key WHERE run_id = ? AND part = ? AND sorted_run = ?"
                      + " ORDER BY batch");
          statements.add(statement);
          binary(statement);
          statement.setFetchSize(FETCH_ARRAYS);
          statement.setLong(1, runId);
          statement.setString(2, run.getKey());
          statement.setInt(3, run.getValue());
          ArrayCursor cursor = new ArrayCursor(statement.executeQuery());
          if (cursor.present()) {
            cursors.add(cursor);
          }
        }
      } catch (SQLException | RuntimeException e) {
        close();
        throw e;
      }
    }

    @Override
    public boolean next() throws SQLException {
      if (current != null) {
        current.next();
        if (!current.present()) {
          cursors.remove(current);
        }
      }
      // the sorted runs are few (at most MAX_SORTED_RUNS): the smallest by looking at each
      current = null;
      for (ArrayCursor cursor : cursors) {
        if (current == null || cursor.fingerprint() < current.fingerprint()) {
          current = cursor;
        }
      }
      return current != null;
    }

    @Override
    public long fingerprint() {
      return current.fingerprint();
    }

    @Override
    public long weight() {
      return current.weight();
    }

    @Override
    public void close() throws SQLException {
      for (PreparedStatement statement : statements) {
        statement.close();
      }
    }
  }

  /**
   * One sorted run, an array at a time (columns 1 and 2: fingerprints, weights or null), walked key
   * by key.
   */
  private static final class ArrayCursor {
    private final ResultSet rows;
    private long[] fingerprints = new long[0];
    private long[] weights;
    int index;

    ArrayCursor(ResultSet rows) throws SQLException {
      this.rows = rows;
      advance();
    }

    boolean present() {
      return index < fingerprints.length;
    }

    long fingerprint() {
      return fingerprints[index];
    }

    long weight() {
      return weights == null ? 1 : weights[index];
    }

    void next() throws SQLException {
      index++;
      advance();
    }

    private void advance() throws SQLException {
      while (index >= fingerprints.length && rows.next()) {
        fingerprints = LongArrays.read(rows, 1);
        weights = LongArrays.read(rows, 2);
        index = 0;
      }
    }
  }

  /**
   * The run's keys sorted by the store: for key sets written before V12 (arrays in the order the
   * scan found them) and for more sorted runs than the worker reads side by side.
   */
  private static RunKeys storeSorted(Connection connection, long runId, boolean weighted)
      throws SQLException {
    try (Statement settings = connection.createStatement()) {
      // a million keys sort in memory; ends with the transaction that finishes the run
      settings.execute("SET LOCAL work_mem = '" + SORT_MEMORY + "'");
    }
    // most kinds count one row per key: unnest of one array is about twice as fast as of two
    String keys =
        weighted
            ? "SELECT u.fp, coalesce(u.w, 1) FROM "
                + Store.SCHEMA
                + ".violation_key k, unnest(k.fingerprints, k.weights) AS u(fp, w)"
            : "SELECT u.fp FROM "
                + Store.SCHEMA
                + ".violation_key k, unnest(k.fingerprints) AS u(fp)";
    PreparedStatement statement =
        connection.prepareStatement(keys + " WHERE k.run_id = ? ORDER BY u.fp");
    binary(statement);
    statement.setFetchSize(KEYS_PER_ARRAY);
    statement.setLong(1, runId);
    ResultSet rows = statement.executeQuery();
    return new RunKeys() {
      @Override
      public boolean next() throws SQLException {
        return rows.next();
      }

      @Override
      public long fingerprint() {
        try {
          return rows.getLong(1);
        } catch (SQLException e) {
          throw new StoreException("cannot read the run's keys: " + e.getMessage(), e);
        }
      }

      @Override
      public long weight() {
        try {
          return weighted ? rows.getLong(2) : 1;
        } catch (SQLException e) {
          throw new StoreException("cannot read the run's keys: " + e.getMessage(), e);
        }
      }

      @Override
      public void close() throws SQLException {
        statement.close();
      }
    };
  }

  /**
   * Records a merged run's history on the run and as the audit's latest: the writes, for the
   * caller's batch.
   */
  static List<Query> record(DSLContext tx, long runId, AuditResult result, Merged merged) {
    KeyHistory history = merged.history();
    Query run =
        tx.query(
            "UPDATE "
                + Store.SCHEMA
                + ".audit_run SET baseline_violations = ?, oldest_violation_since = ?::timestamptz"
                + " WHERE id = ?",
            history.baselineRows(),
            instant(history.oldestSince().orElse(null)),
            runId);
    double oldestAge =
        history
            .oldestSince()
            .map(since -> Duration.between(since, result.startedAt()).toMillis() / 1000.0)
            .orElse(0.0);
    // the previous set's arrays the run did not adopt (record's writes are the caller's batch)
    Query previous =
        tx.query(
            "DELETE FROM " + TABLE + " WHERE audit_id = ? AND run_id <> ?",
            result.audit().id(),
            runId);
    List<Query> writes = new ArrayList<>();
    // the unchanged arrays move to the run before the previous set's other arrays go
    merged.adoption().ifPresent(adoption -> writes.add(adoption.query(tx)));
    writes.add(previous);
    writes.add(run);
    writes.add(
        latest(
            tx,
            result.audit().id(),
            history.baselineRows(),
            history.oldestSince(),
            oldestAge,
            merged.olderThan()));
    return writes;
  }

  /** Sums of the run's keys as the merge walks them. */
  private static final class Tally {
    final long startedMicros;
    final Long cutoffMicros;
    final long[] olderThanMicros = new long[OLDER_THAN.size()];
    final long[] olderThan = new long[OLDER_THAN.size()];
    long newRows;
    long persisting;
    long gone;
    long baselineRows;
    long pastGrace;
    long pastGraceOutsideBaseline;
    long oldest = Long.MAX_VALUE;

    Tally(Instant started, Optional<Instant> cutoff) {
      startedMicros = micros(started);
      cutoffMicros = cutoff.map(KeyAges::micros).orElse(null);
      for (int i = 0; i < olderThanMicros.length; i++) {
        olderThanMicros[i] = micros(started.minus(OLDER_THAN.get(i)));
      }
    }

    void add(long weight, long firstSeen, boolean baseline) {
      oldest = Math.min(oldest, firstSeen);
      if (baseline) {
        baselineRows += weight;
      }
      // without a grace period every row is past it
      if (cutoffMicros == null || firstSeen <= cutoffMicros) {
        pastGrace += weight;
        if (!baseline) {
          pastGraceOutsideBaseline += weight;
        }
      }
      for (int i = 0; i < olderThan.length; i++) {
        if (firstSeen <= olderThanMicros[i]) {
          olderThan[i] += weight;
        }
      }
    }

    Long[] olderThan() {
      Long[] boxed = new Long[olderThan.length];
      for (int i = 0; i < boxed.length; i++) {
        boxed[i] = olderThan[i];
      }
      return boxed;
    }
  }

  /** One array of the kept key set, with each key's age, and its place ({@code seq}). */
  private static final class KeptArray {
    /**
     * The ages as the store sends them (columns 3, 4 and 6): an array's first-seen times only when
     * they differ (else NULL and the one time), its baseline flags only when one is set. In the
     * steady state every key of an array was first seen in the same run and none is in a baseline:
     * sending a million times and flags took the store about as long as the keys themselves
     * (PostgreSQL sends an array element by element, the flags as text), and pgjdbc made a {@code
     * Boolean} of each flag (docs/performance.md, "ninth session").
     */
    static final String AGES =
        "CASE WHEN first_seen <@ ARRAY[first_seen[1]] THEN NULL ELSE first_seen END,"
            + " CASE WHEN true = ANY (baseline) THEN baseline END";

    static final String FIRST_SEEN = "first_seen[1]";

    final long[] fingerprints;
    final long[] weights;
    // null: every key's is firstSeenAll
    private final long[] firstSeen;
    private final long firstSeenAll;
    // null: no key is in the baseline; pgjdbc receives boolean[] as text only (no binary format
    // for it): decoded by pgjdbc
    private final Boolean[] baseline;
    final int seq;

    KeptArray(ResultSet rows) throws SQLException {
      fingerprints = LongArrays.read(rows, 1);
      weights = LongArrays.read(rows, 2);
      firstSeen = LongArrays.read(rows, 3);
      firstSeenAll = rows.getLong(6);
      Array flags = rows.getArray(4);
      baseline = flags == null ? null : (Boolean[]) flags.getArray();
      seq = rows.getInt(5);
    }

    long weight(int i) {
      return weights == null ? 1 : weights[i];
    }

    long firstSeen(int i) {
      return firstSeen == null ? firstSeenAll : firstSeen[i];
    }

    boolean baseline(int i) {
      return baseline != null && baseline[i];
    }
  }

  /**
   * The run's keys, each once: a key the scan sent more than once (a key that is not unique in its
   * table, or sent by two chunks) comes with the rows of all.
   */
  private static final class Distinct {
    private final RunKeys keys;
    private boolean more;
    private boolean present;
    long fingerprint;
    long weight;

    Distinct(RunKeys keys) throws SQLException {
      this.keys = keys;
      more = keys.next();
      next();
    }

    boolean present() {
      return present;
    }

    void next() throws SQLException {
      present = more;
      if (!more) {
        return;
      }
      fingerprint = keys.fingerprint();
      weight = keys.weight();
      while ((more = keys.next()) && keys.fingerprint() == fingerprint) {
        weight += keys.weight();
      }
    }
  }

  /**
   * Writes the run's merged key set in order, in arrays of at most {@link #KEYS_PER_ARRAY} keys,
   * and lets the run adopt the kept set's arrays that are unchanged: such an array's row is moved
   * to the run (its {@code run_id} and {@code seq} updated, one statement for all of them) instead
   * of written again, so the store neither copies nor rewrites the arrays of keys that persist (a
   * million keys that all persist: no array written). The arrays are then no longer all of the same
   * size: a changed segment of more than {@link #KEYS_PER_ARRAY} keys is split in equal halves
   * (like a B-tree's leaf), one of fewer than half that waits to be written with the next changed
   * one.
   */
  private static final class Writer implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement insert;
    private final String auditId;
    private final long runId;
    private final long keptRun;
    // at most half an array left from changed segments, then one kept array's keys: < 2 arrays
    private final long[] fingerprints = new long[2 * KEYS_PER_ARRAY];
    private final long[] weights = new long[2 * KEYS_PER_ARRAY];
    private final long[] firstSeen = new long[2 * KEYS_PER_ARRAY];
    private final boolean[] baseline = new boolean[2 * KEYS_PER_ARRAY];
    private final List<Integer> adoptedFrom = new ArrayList<>();
    private final List<Integer> adoptedAs = new ArrayList<>();
    private int size;
    private int segmentStart;
    // part of the segment was written before it ended: it cannot be adopted
    private boolean spilled;
    private int seq;
    private int batched;
    private boolean written;

    Writer(Connection connection, String auditId, long runId, long keptRun) throws SQLException {
      this.connection = connection;
      this.insert =
          connection.prepareStatement(
              "INSERT INTO "
                  + TABLE
                  + " (audit_id, run_id, seq, fingerprints, weights, first_seen, baseline)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)");
      this.auditId = auditId;
      this.runId = runId;
      this.keptRun = keptRun;
    }

    void add(long fingerprint, long weight, long firstSeenMicros, boolean inBaseline)
        throws SQLException {
      if (size == fingerprints.length) {
        // a segment of many new keys: an array's worth written, the rest moved to the front
        write(0, KEYS_PER_ARRAY);
        shift(KEYS_PER_ARRAY);
        spilled = true;
      }
      fingerprints[size] = fingerprint;
      weights[size] = weight;
      firstSeen[size] = firstSeenMicros;
      baseline[size] = inBaseline;
      size++;
    }

    /**
     * The keys added since the last call are the segment of the kept array {@code keptSeq}; {@code
     * unchanged}: they are that array's keys, rows, first-seen times and flags.
     */
    void segmentDone(int keptSeq, boolean unchanged) throws SQLException {
      if (unchanged && !spilled) {
        if (segmentStart > 0) {
          write(0, segmentStart);
        }
        adoptedFrom.add(keptSeq);
        adoptedAs.add(seq++);
        size = 0;
      } else if (size >= KEYS_PER_ARRAY / 2) {
        writeAll();
      }
      segmentStart = size;
      spilled = false;
    }

    /** The buffered keys as one array, or in equal halves when more than one array's worth. */
    private void writeAll() throws SQLException {
      if (size > KEYS_PER_ARRAY) {
        int half = size / 2;
        write(0, half);
        write(half, size);
      } else if (size > 0) {
        write(0, size);
      }
      size = 0;
    }

    private void shift(int from) {
      int left = size - from;
      System.arraycopy(fingerprints, from, fingerprints, 0, left);
      System.arraycopy(weights, from, weights, 0, left);
      System.arraycopy(firstSeen, from, firstSeen, 0, left);
      System.arraycopy(baseline, from, baseline, 0, left);
      size = left;
      segmentStart = Math.max(0, segmentStart - from);
    }

    private void write(int from, int to) throws SQLException {
      boolean weighted = false;
      for (int i = from; i < to && !weighted; i++) {
        weighted = weights[i] != 1;
      }
      // pgjdbc sends primitive arrays in its binary array format: no text to build or parse
      insert.setString(1, auditId);
      insert.setLong(2, runId);
      insert.setInt(3, seq++);
      insert.setObject(4, Arrays.copyOfRange(fingerprints, from, to));
      if (weighted) {
        insert.setObject(5, Arrays.copyOfRange(weights, from, to));
      } else {
        insert.setNull(5, Types.ARRAY);
      }
      insert.setObject(6, Arrays.copyOfRange(firstSeen, from, to));
      insert.setObject(7, Arrays.copyOfRange(baseline, from, to));
      insert.addBatch();
      if (++batched == FETCH_ARRAYS) {
        send();
      }
    }

    /**
     * Sends the arrays batched so far: pgjdbc sends a batch's statements in one go and waits once,
     * so a million keys cost 25 round trips instead of 100.
     */
    private void send() throws SQLException {
      if (batched > 0) {
        insert.executeBatch();
        written = true;
        batched = 0;
      }
    }

    void finish() throws SQLException {
      writeAll();
      send();
    }

    /**
     * The unchanged arrays to move to the run, for the batch that ends the run's transaction (one
     * round trip less: docs/performance.md, "tenth session, incr25"); empty when none.
     */
    Optional<Adoption> adoption() {
      if (adoptedFrom.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          new Adoption(
              auditId,
              runId,
              keptRun,
              adoptedFrom.toArray(Integer[]::new),
              adoptedAs.toArray(Integer[]::new)));
    }

    void discard() throws SQLException {
      size = 0;
      insert.clearBatch();
      batched = 0;
      adoptedFrom.clear();
      if (written) {
        try (PreparedStatement delete =
            connection.prepareStatement(
                "DELETE FROM " + TABLE + " WHERE audit_id = ? AND run_id = ?")) {
          delete.setString(1, auditId);
          delete.setLong(2, runId);
          delete.execute();
        }
      }
    }

    @Override
    public void close() throws SQLException {
      insert.close();
    }
  }

  /** The audit's run has no key set to age (not tracked, or unknown): nothing to show. */
  static Query unknown(DSLContext tx, String auditId) {
    return latest(tx, auditId, null, Optional.empty(), null, null);
  }

  /** Keys are not tracked any more (track_keys: 0, a kind without keys): forget their ages. */
  static void forget(DSLContext tx, String auditId) {
    tx.execute("DELETE FROM " + TABLE + " WHERE audit_id = ?", auditId);
    unknown(tx, auditId).execute();
  }

  /** Sets every kept key of the audit in or out of its baseline. */
  static void setBaseline(DSLContext tx, String auditId, boolean inBaseline) {
    tx.execute(
        "UPDATE "
            + TABLE
            + " SET baseline = array_fill(?::boolean, ARRAY[cardinality(fingerprints)])"
            + " WHERE audit_id = ?",
        inBaseline,
        auditId);
  }

  private static long micros(Instant instant) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
  }

  private static Query latest(
      DSLContext tx,
      String auditId,
      Long baselineRows,
      Optional<Instant> oldest,
      Double oldestAgeSeconds,
      Long[] olderThan) {
    return tx.query(
        "UPDATE "
            + Store.SCHEMA
            + ".audit_latest SET baseline_violations = ?, oldest_violation_since = ?::timestamptz,"
            + " oldest_violation_age_seconds = ?::double precision,"
            + " violations_older_than = ?::bigint[] WHERE audit_id = ?",
        baselineRows,
        instant(oldest.orElse(null)),
        DSL.val(oldestAgeSeconds, SQLDataType.DOUBLE),
        DSL.val(olderThan, SQLDataType.BIGINT.array()),
        auditId);
  }

  /** A bind value of type timestamptz, also when null. */
  private static Object instant(Instant instant) {
    return DSL.val(instant, SQLDataType.INSTANT);
  }
}
