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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.postgresql.PGStatement;

/**
 * When each open violating key of an audit was first seen, and whether it is in the audit's
 * baseline (migrations V10, V13): the key set of the latest completed run that tracked its keys,
 * sorted by fingerprint. When a run finishes, {@link #merge} reads that set in order and the run's
 * fingerprints sorted by the store, and walks both at once: one pass gives the new/persisting/gone
 * split, the first-seen times and baseline flags carried over, and the sums for the run, and writes
 * the run's set in order. A key still violating keeps its first-seen time and baseline flag; a key
 * that is not violating any more drops out, so when it breaks again it is new. The worker holds one
 * fetch of each side and one array being written, never the whole set.
 */
final class KeyAges {
  static final String TABLE = Store.SCHEMA + ".violation_age";

  /** Ages that {@code violations_older_than} counts, in order (the gauges' bucket labels). */
  static final List<Duration> OLDER_THAN =
      LatestResult.OLDER_THAN.stream().map(age -> Durations.parse(age).orElseThrow()).toList();

  /** Keys per stored array and per fetch of the run's sorted fingerprints. */
  private static final int KEYS_PER_ARRAY = 10_000;

  /**
   * Memory for the store's sort of a run's fingerprints: a million keys sort in memory (about 60
   * MB) instead of in temporary files; only in the transaction that finishes the run.
   */
  private static final String SORT_MEMORY = "96MB";

  private KeyAges() {}

  /**
   * What one merge found: the split against the previous key set (null counts when there was none
   * to compare with) and the run's key history.
   *
   * @param keyedRows the violating rows the run's key set stands for
   */
  record Merged(long keyedRows, KeySets.Split split, KeyHistory history, Long[] olderThan) {}

  /**
   * Merges the key set of finishing run {@code runId} (complete in {@code violation_key}) with the
   * audit's previous one and writes it as the audit's set; in the transaction that finishes the
   * run. When the key set does not add up to {@code violations} (a part lost to a store failure),
   * the previous set is kept and {@code keyedRows} says so; the caller then records the split as
   * incomplete.
   *
   * @param previous the run whose key set this run compares with (the latest completed one that
   *     kept keys); empty: the run is the first tracked
   */
  static Merged merge(
      DSLContext tx, long runId, AuditResult result, Optional<Long> previous, long violations) {
    return tx.connectionResult(
        connection -> {
          try {
            return merge(connection, runId, result, previous, violations);
          } catch (SQLException e) {
            throw new StoreException(
                "cannot compare the violating keys of run " + runId + ": " + e.getMessage(), e);
          }
        });
  }

  private static Merged merge(
      Connection connection,
      long runId,
      AuditResult result,
      Optional<Long> previous,
      long violations)
      throws SQLException {
    String auditId = result.audit().id();
    Instant started = result.startedAt();
    Tally tally = new Tally(started, result.audit().threshold().maxAge().map(started::minus));
    Optional<Long> keptRun = keptRun(connection, auditId);
    // the split is exact only against the set of the run compared with; ages and baseline flags
    // are carried from whatever set is kept (after a run over the cap, the last known one)
    boolean comparable = previous.isPresent() && previous.equals(keptRun);
    try (Statement settings = connection.createStatement()) {
      // ends with the transaction that finishes the run
      settings.execute("SET LOCAL work_mem = '" + SORT_MEMORY + "'");
    }
    // most kinds count one row per key: unnest of one array is about twice as fast as of two, and
    // a million rows of one column come back faster than of two (docs/performance.md)
    boolean weighted = weighted(connection, runId);
    String keys =
        weighted
            ? "SELECT u.fp, coalesce(u.w, 1) FROM "
                + Store.SCHEMA
                + ".violation_key k, unnest(k.fingerprints, k.weights) AS u(fp, w)"
            : "SELECT u.fp FROM "
                + Store.SCHEMA
                + ".violation_key k, unnest(k.fingerprints) AS u(fp)";
    try (PreparedStatement current =
            connection.prepareStatement(keys + " WHERE k.run_id = ? ORDER BY u.fp");
        PreparedStatement kept =
            connection.prepareStatement(
                "SELECT fingerprints, weights, first_seen, baseline FROM "
                    + TABLE
                    + " WHERE audit_id = ? AND run_id = ? ORDER BY seq");
        Writer writer = new Writer(connection, auditId, runId)) {
      // binary results from the first execution: these run once per merge, so pgjdbc's default
      // (text until a statement's fifth execution) would have it parse a million numbers from
      // text on each side, and every element of the kept arrays (docs/performance.md)
      binary(current);
      binary(kept);
      current.setFetchSize(KEYS_PER_ARRAY);
      current.setLong(1, runId);
      kept.setFetchSize(1);
      kept.setString(1, auditId);
      kept.setLong(2, keptRun.orElse(-1L));
      try (ResultSet now = current.executeQuery();
          ResultSet before = kept.executeQuery()) {
        KeptKeys old = new KeptKeys(before);
        boolean more = now.next();
        while (more) {
          long fingerprint = now.getLong(1);
          long weight = weighted ? now.getLong(2) : 1;
          // the same key twice in a run (a key that is not unique in its table): one key, its rows
          while ((more = now.next()) && now.getLong(1) == fingerprint) {
            weight += weighted ? now.getLong(2) : 1;
          }
          while (old.present() && old.fingerprint() < fingerprint) {
            tally.gone += old.weight();
            old.next();
          }
          long firstSeen;
          boolean baseline;
          if (old.present() && old.fingerprint() == fingerprint) {
            tally.persisting += weight;
            firstSeen = old.firstSeen();
            baseline = old.baseline();
            old.next();
          } else {
            tally.newRows += weight;
            firstSeen = tally.startedMicros;
            baseline = false;
          }
          tally.add(weight, firstSeen, baseline);
          writer.add(fingerprint, weight, firstSeen, baseline);
        }
        while (old.present()) {
          tally.gone += old.weight();
          old.next();
        }
      }
      long keyed = tally.newRows + tally.persisting;
      if (keyed != violations) {
        // a part was lost or written twice: keep the previous set, write nothing
        writer.discard();
        return new Merged(keyed, KeySets.Split.INCOMPLETE, null, null);
      }
      writer.finish();
    }
    try (PreparedStatement delete =
        connection.prepareStatement(
            "DELETE FROM " + TABLE + " WHERE audit_id = ? AND run_id <> ?")) {
      delete.setString(1, auditId);
      delete.setLong(2, runId);
      delete.execute();
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
    return new Merged(tally.newRows + tally.persisting, split, history, tally.olderThan());
  }

  /** Results in pgjdbc's binary format already on the statement's first execution. */
  private static void binary(PreparedStatement statement) throws SQLException {
    statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
  }

  /** Whether any key of the run stands for more than one row. */
  private static boolean weighted(Connection connection, long runId) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT coalesce(bool_or(weights IS NOT NULL), false) FROM "
                + Store.SCHEMA
                + ".violation_key WHERE run_id = ?")) {
      statement.setLong(1, runId);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        return row.getBoolean(1);
      }
    }
  }

  /** The run whose key set the audit keeps (one at a time), if any. */
  private static Optional<Long> keptRun(Connection connection, String auditId) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT max(run_id) FROM " + TABLE + " WHERE audit_id = ?")) {
      statement.setString(1, auditId);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        long run = row.getLong(1);
        return row.wasNull() ? Optional.empty() : Optional.of(run);
      }
    }
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
    return List.of(
        run,
        latest(
            tx,
            result.audit().id(),
            history.baselineRows(),
            history.oldestSince(),
            oldestAge,
            merged.olderThan()));
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

  /** The kept key set, one stored array at a time, walked key by key. */
  private static final class KeptKeys {
    private final ResultSet rows;
    private Long[] fingerprints = new Long[0];
    private Long[] weights;
    private Long[] firstSeen;
    private Boolean[] baseline;
    private int index;

    KeptKeys(ResultSet rows) throws SQLException {
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

    long firstSeen() {
      return firstSeen[index];
    }

    boolean baseline() {
      return baseline[index];
    }

    void next() throws SQLException {
      index++;
      advance();
    }

    private void advance() throws SQLException {
      while (index >= fingerprints.length && rows.next()) {
        fingerprints = (Long[]) rows.getArray(1).getArray();
        Array weightArray = rows.getArray(2);
        weights = weightArray == null ? null : (Long[]) weightArray.getArray();
        firstSeen = (Long[]) rows.getArray(3).getArray();
        baseline = (Boolean[]) rows.getArray(4).getArray();
        index = 0;
      }
    }
  }

  /** Writes the run's merged key set in order, an array of {@link #KEYS_PER_ARRAY} keys a row. */
  private static final class Writer implements AutoCloseable {
    private final PreparedStatement insert;
    private final String auditId;
    private final long runId;
    private final long[] fingerprints = new long[KEYS_PER_ARRAY];
    private final long[] weights = new long[KEYS_PER_ARRAY];
    private final long[] firstSeen = new long[KEYS_PER_ARRAY];
    private final boolean[] baseline = new boolean[KEYS_PER_ARRAY];
    private boolean weighted;
    private int size;
    private int seq;
    private boolean written;

    Writer(Connection connection, String auditId, long runId) throws SQLException {
      this.insert =
          connection.prepareStatement(
              "INSERT INTO "
                  + TABLE
                  + " (audit_id, run_id, seq, fingerprints, weights, first_seen, baseline)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)");
      this.auditId = auditId;
      this.runId = runId;
    }

    void add(long fingerprint, long weight, long firstSeenMicros, boolean inBaseline)
        throws SQLException {
      fingerprints[size] = fingerprint;
      weights[size] = weight;
      weighted |= weight != 1;
      firstSeen[size] = firstSeenMicros;
      baseline[size] = inBaseline;
      if (++size == KEYS_PER_ARRAY) {
        flush();
      }
    }

    private void flush() throws SQLException {
      if (size == 0) {
        return;
      }
      // pgjdbc sends primitive arrays in its binary array format: no text to build or parse
      insert.setString(1, auditId);
      insert.setLong(2, runId);
      insert.setInt(3, seq++);
      insert.setObject(4, Arrays.copyOf(fingerprints, size));
      if (weighted) {
        insert.setObject(5, Arrays.copyOf(weights, size));
      } else {
        insert.setNull(5, Types.ARRAY);
      }
      insert.setObject(6, Arrays.copyOf(firstSeen, size));
      insert.setObject(7, Arrays.copyOf(baseline, size));
      insert.execute();
      written = true;
      size = 0;
      weighted = false;
    }

    void finish() throws SQLException {
      flush();
    }

    void discard() throws SQLException {
      size = 0;
      if (written) {
        try (PreparedStatement delete =
            insert
                .getConnection()
                .prepareStatement("DELETE FROM " + TABLE + " WHERE audit_id = ? AND run_id = ?")) {
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
  static void unknown(DSLContext tx, String auditId) {
    latest(tx, auditId, null, Optional.empty(), null, null).execute();
  }

  /** Keys are not tracked any more (track_keys: 0, a kind without keys): forget their ages. */
  static void forget(DSLContext tx, String auditId) {
    tx.execute("DELETE FROM " + TABLE + " WHERE audit_id = ?", auditId);
    unknown(tx, auditId);
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
