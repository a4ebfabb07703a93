package io.integrityauditor.store;

import io.integrityauditor.audit.scan.KeyScheme;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.KeyHistory;
import io.integrityauditor.run.RunInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The violating keys of runs, as fingerprints (migrations V8, V12): written in bulk, sorted in
 * bounded runs, as a scan streams them, and compared in the store's SQL when a run finishes, so
 * that every completed run knows exactly how many of its violating rows are new, persist or are
 * gone since the previous completed run. Only the latest completed run's key set of an audit is
 * kept.
 */
public final class KeySets {
  private static final Logger log = LoggerFactory.getLogger(KeySets.class);
  private static final String TABLE = Store.SCHEMA + ".violation_key";

  /** A run's keys in the scheme its audit changes to, beside the stored ones (V18). */
  private static final String TRANSLATION = Store.SCHEMA + ".violation_key_translation";

  /** Store-side work on a run's key set longer than this is logged with where the time went. */
  private static final long SLOW_NANOS = 1_000_000_000L;

  /**
   * The part name of an increment's marker: an empty array saying that the run's key set is the
   * kept set of the run it carries from plus its own parts.
   */
  static final String CARRIED = "carried";

  /** Part names are ours (a constant, chunk ordinals, a watermark's hash): checked all the same. */
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9 :.-]{1,200}");

  private KeySets() {}

  /** A sink for the keys of run {@code runId}, each statement sending at most {@code cap}. */
  static KeySink sink(DataSource store, long runId, long cap) {
    int statementCap = (int) Math.min(cap, Integer.MAX_VALUE - KeySink.BATCH);
    return new KeySink() {
      @Override
      public int cap() {
        return statementCap;
      }

      @Override
      public Part open(String part, KeyScheme scheme) {
        if (!PART.matcher(part).matches()) {
          throw new IllegalArgumentException("not a key set part name: " + part);
        }
        return new StoredPart(store, runId, part, scheme);
      }
    };
  }

  /**
   * Keys a part sorts in the worker before writing them (a sorted run): a million keys come to the
   * store as a handful of sorted runs, which the merge walks side by side instead of having the
   * store sort them all when the run finishes (docs/performance.md). Bounded, so the worker holds
   * at most this many keys per open part (2 MiB, 4 with weights), never the whole set.
   */
  static final int RUN_KEYS = 1 << 17;

  /**
   * One statement's keys: one store transaction, kept on commit only. The keys are gathered into
   * sorted runs of up to {@link #RUN_KEYS} and written run by run, in arrays of {@link
   * KeySink#BATCH} ascending fingerprints (column {@code sorted_run}, V12), each run one batch of
   * INSERTs (one round trip) with the arrays in pgjdbc's binary format: the store copies them
   * instead of parsing a million numbers from text while the scan runs on the same cores. The store
   * connection is taken when the first run is written (the keys are the last rows of the
   * statement), so it is not held while the audited server scans.
   */
  private static final class StoredPart implements KeySink.Part {
    private final DataSource store;
    private final long runId;
    private final String part;
    private final KeyScheme scheme;
    private final long[] fingerprints = new long[RUN_KEYS];
    private long[] weights;
    private int size;
    private Connection connection;
    private PreparedStatement insert;
    private PreparedStatement translation;
    private int translated;
    private int batches;
    private int sortedRuns;
    private boolean committed;

    /**
     * Set when the store failed while this part was written. The keys are a by-product of the
     * measurement: a store outage must not fail the audit (its result is kept and recorded when the
     * store is back), so the part is dropped and the run's split becomes unknown (checked when the
     * run finishes: its key set no longer adds up to its violations).
     */
    private boolean failed;

    StoredPart(DataSource store, long runId, String part, KeyScheme scheme) {
      this.store = store;
      this.runId = runId;
      this.part = part;
      this.scheme = scheme;
    }

    private PreparedStatement insert() {
      if (insert != null) {
        return insert;
      }
      try {
        connection = store.getConnection();
        connection.setAutoCommit(false);
        try (PreparedStatement delete =
            connection.prepareStatement(
                "WITH t AS (DELETE FROM "
                    + TRANSLATION
                    + " WHERE run_id = ? AND part = ?) DELETE FROM "
                    + TABLE
                    + " WHERE run_id = ? AND part = ?")) {
          // a retried statement replaces what its failed attempt may have left
          delete.setLong(1, runId);
          delete.setString(2, part);
          delete.setLong(3, runId);
          delete.setString(4, part);
          delete.execute();
        }
        insert =
            connection.prepareStatement(
                "INSERT INTO "
                    + TABLE
                    + " (run_id, part, batch, sorted_run, fingerprints, weights, scheme)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)");
        return insert;
      } catch (SQLException e) {
        throw new StoreException("cannot store the violating keys of run " + runId, e);
      }
    }

    @Override
    public void add(long[] batch, long[] batchWeights) {
      if (batchWeights != null && weights == null) {
        // the first weighted batch: the keys before it stood for one row each
        weights = new long[RUN_KEYS];
        Arrays.fill(weights, 0, size, 1);
      }
      int from = 0;
      while (from < batch.length) {
        int n = Math.min(batch.length - from, RUN_KEYS - size);
        System.arraycopy(batch, from, fingerprints, size, n);
        if (weights != null) {
          if (batchWeights != null) {
            System.arraycopy(batchWeights, from, weights, size, n);
          } else {
            Arrays.fill(weights, size, size + n, 1);
          }
        }
        size += n;
        from += n;
        if (size == RUN_KEYS) {
          writeRun();
        }
      }
    }

    /** Sorts the gathered keys and writes them as the part's next sorted run. */
    private void writeRun() {
      if (weights == null) {
        Arrays.sort(fingerprints, 0, size);
      } else {
        sortPairs(fingerprints, weights, size);
      }
      int run = sortedRuns++;
      if (!failed) {
        try {
          PreparedStatement statement = insert();
          for (int from = 0; from < size || (from == 0 && batches == 0); from += KeySink.BATCH) {
            // an empty key set is still a key set: the run tracked its keys and found none
            int to = Math.min(size, from + KeySink.BATCH);
            statement.setLong(1, runId);
            statement.setString(2, part);
            statement.setInt(3, batches++);
            statement.setInt(4, run);
            // primitive arrays: pgjdbc sends them in its binary array format
            statement.setObject(5, Arrays.copyOfRange(fingerprints, from, to));
            if (weights == null) {
              statement.setNull(6, Types.ARRAY);
            } else {
              statement.setObject(6, Arrays.copyOfRange(weights, from, to));
            }
            statement.setString(7, scheme.label());
            statement.addBatch();
          }
          statement.executeBatch();
        } catch (SQLException | StoreException e) {
          dropped(e);
        }
      }
      size = 0;
    }

    @Override
    public void translate(long[] stored, long[] translatedKeys, KeyScheme to) {
      if (failed) {
        return;
      }
      try {
        insert();
        if (translation == null) {
          translation =
              connection.prepareStatement(
                  "INSERT INTO "
                      + TRANSLATION
                      + " (run_id, part, batch, scheme, stored, translated)"
                      + " VALUES (?, ?, ?, ?, ?, ?)");
        }
        translation.setLong(1, runId);
        translation.setString(2, part);
        translation.setInt(3, translated++);
        translation.setString(4, to.label());
        translation.setObject(5, stored);
        translation.setObject(6, translatedKeys);
        translation.execute();
      } catch (SQLException | StoreException e) {
        dropped(e);
      }
    }

    private void dropped(Exception e) {
      failed = true;
      log.warn(
          "violating keys of run {} (part {}) not stored, the store failed: the run's result is"
              + " kept, its new/persisting/gone split will be unknown ({})",
          runId,
          part,
          e.getMessage());
    }

    @Override
    public void commit() {
      if (size > 0 || batches == 0) {
        writeRun();
      }
      if (failed) {
        return;
      }
      try {
        insert();
        connection.commit();
        committed = true;
      } catch (SQLException | StoreException e) {
        dropped(e);
      }
    }

    @Override
    public void close() {
      if (connection == null) {
        return;
      }
      try (Connection held = connection) {
        if (insert != null) {
          insert.close();
        }
        if (translation != null) {
          translation.close();
        }
        if (!committed) {
          held.rollback();
        }
      } catch (SQLException e) {
        // the part was not committed: nothing of it is kept either way
      }
    }
  }

  /**
   * Sorts the first {@code size} keys ascending, each weight moving with its key (a bottom-up merge
   * sort: the JDK sorts no pairs of primitive arrays).
   */
  static void sortPairs(long[] keys, long[] values, int size) {
    long[] keyScratch = new long[size];
    long[] valueScratch = new long[size];
    long[] fromKeys = keys;
    long[] fromValues = values;
    long[] toKeys = keyScratch;
    long[] toValues = valueScratch;
    for (int width = 1; width < size; width *= 2) {
      for (int low = 0; low < size; low += 2 * width) {
        int mid = Math.min(low + width, size);
        int high = Math.min(low + 2 * width, size);
        int i = low;
        int j = mid;
        for (int k = low; k < high; k++) {
          if (i < mid && (j >= high || fromKeys[i] <= fromKeys[j])) {
            toKeys[k] = fromKeys[i];
            toValues[k] = fromValues[i++];
          } else {
            toKeys[k] = fromKeys[j];
            toValues[k] = fromValues[j++];
          }
        }
      }
      long[] swap = fromKeys;
      fromKeys = toKeys;
      toKeys = swap;
      swap = fromValues;
      fromValues = toValues;
      toValues = swap;
    }
    if (fromKeys != keys) {
      System.arraycopy(fromKeys, 0, keys, 0, size);
      System.arraycopy(fromValues, 0, values, 0, size);
    }
  }

  /**
   * The split of a finishing run's violating rows against the previous completed run, recorded on
   * the run; called in the transaction that finishes it, after the run row is updated.
   *
   * @param carries an incremental run: its key set holds the increment only, the rows before the
   *     watermark are the key set of the run that last moved the watermark (carried into this
   *     run's; read here, before this run moves it)
   * @param batch the caller's writes that read nothing back, sent by it in one round trip after
   *     this returns: the split's and the ages' writes are added to it
   */
  static Optional<KeyHistory> onRunFinished(
      DSLContext tx, long runId, AuditResult result, boolean carries, long cap, List<Query> batch) {
    String auditId = result.audit().id();
    if (!result.status().completed()) {
      tx.execute(
          "WITH t AS (DELETE FROM "
              + TRANSLATION
              + " WHERE run_id = ?) DELETE FROM "
              + TABLE
              + " WHERE run_id = ?",
          runId,
          runId);
      return Optional.empty();
    }
    KeyAges.Carry carry = KeyAges.Carry.NONE;
    Schemes schemes = null;
    Boolean tracked = null;
    Long previous = null;
    if (carries && result.info().mode() == RunInfo.Mode.INCREMENTAL) {
      // the rows before the watermark are the keys of the run carried from (the run that last
      // moved the watermark): when its key set is the kept one, only the increment is merged with
      // it (no copy, no sort of the whole set); a marker row says the run has a key set (an
      // increment of no rows writes none); and both key sets' schemes (V18): one round trip
      var found =
          tx.fetchSingle(
              "WITH carried AS (SELECT updated_run_id AS run_id FROM "
                  + Store.SCHEMA
                  + ".audit_watermark WHERE audit_id = ?), kept AS (SELECT max(run_id) AS run_id"
                  + " FROM "
                  + KeyAges.TABLE
                  + " WHERE audit_id = ?), marker AS (INSERT INTO "
                  + TABLE
                  + " (run_id, part, batch, sorted_run, fingerprints)"
                  + " SELECT ?, '"
                  + CARRIED
                  + "', 0, 0, '{}' FROM kept JOIN carried USING (run_id)"
                  + " ON CONFLICT DO NOTHING) SELECT p.id, "
                  + SCHEMES
                  + ", (SELECT run_id FROM carried) AS carried"
                  + " FROM (SELECT run_id AS id FROM kept) p",
              auditId,
              auditId,
              runId,
              runId,
              runId,
              runId);
      Long kept = found.get(0, Long.class);
      // null only without a watermark row (an increment starts from one): then as any run's
      Long carriedFrom = found.get(5, Long.class);
      if (carriedFrom == null) {
        carry = KeyAges.Carry.NONE;
      } else if (carriedFrom.equals(kept)) {
        carry = KeyAges.Carry.KEPT;
        tracked = true;
        // the kept set is the latest completed run's that kept keys: the one compared with
        previous = kept;
        schemes = Schemes.of(found, 1, kept);
      } else {
        if (!tx.fetchExists(tx.selectOne().from(TABLE).where("run_id = ?", carriedFrom))) {
          // the rows before the watermark have no key set: this one would be partial
          tx.execute("DELETE FROM " + TABLE + " WHERE run_id = ?", runId);
          recordLatest(tx, auditId, null, null).execute();
          KeyAges.unknown(tx, auditId).execute();
          return Optional.empty();
        }
        tx.execute(
            "INSERT INTO "
                + TABLE
                + " (run_id, part, batch, sorted_run, fingerprints, weights, scheme)"
                + " SELECT ?, part, batch, sorted_run, fingerprints, weights, scheme FROM "
                + TABLE
                + " WHERE run_id = ? AND part NOT IN (SELECT part FROM "
                + TABLE
                + " WHERE run_id = ?)",
            runId,
            carriedFrom,
            runId);
        carry = KeyAges.Carry.COPIED;
      }
    }
    if (tracked == null) {
      // whether the run has a key set, the run it compares with, and both sets' schemes (V18):
      // one round trip
      var found =
          tx.fetchSingle(
              "WITH p AS (SELECT max(k.run_id) AS id FROM "
                  + TABLE
                  + " k JOIN "
                  + Store.SCHEMA
                  + ".audit_run r ON r.id = k.run_id"
                  + " WHERE r.audit_id = ? AND k.run_id < ? AND r.status IN ('ok',"
                  + " 'violations')) SELECT EXISTS (SELECT 1 FROM "
                  + TABLE
                  + " WHERE run_id = ?) AS tracked, p.id AS previous, "
                  + SCHEMES
                  + " FROM p",
              auditId,
              runId,
              runId,
              runId,
              runId,
              runId);
      tracked = found.get(0, Boolean.class);
      previous = found.get(1, Long.class);
      schemes = Schemes.of(found, 2, previous);
    }
    if (!tracked) {
      // not tracked (a kind without keys, or tracking turned off)
      recordLatest(tx, auditId, null, null).execute();
      KeyAges.forget(tx, auditId);
      return Optional.empty();
    }
    // a statement sends its keys in the kept set's scheme, so the run's and the previous set's
    // differ only when that set changed meanwhile or the kind computes no other (a scan across
    // databases): two schemes never compare
    if (!schemes.comparable()) {
      log.warn(
          "run {} of {}: its violating keys are fingerprinted as {}, the previous key set as {}:"
              + " they cannot be compared, the split starts afresh",
          runId,
          auditId,
          schemes.run().label(),
          schemes.previous().label());
      if (carry != KeyAges.Carry.NONE) {
        // an increment's keys without the rows before the watermark in their scheme
        tx.execute("DELETE FROM " + TABLE + " WHERE run_id = ?", runId);
        recordLatest(tx, auditId, null, null).execute();
        KeyAges.unknown(tx, auditId).execute();
        return Optional.empty();
      }
      previous = null;
    }
    // rows only: a type mismatch counted as a violation has no row key (every run of such an audit
    // was taken for one whose key set lost a part, and could never be baselined)
    long violations = result.measurement().map(Measurement::violatingRows).orElse(0L);
    long started = System.nanoTime();
    Split split;
    KeyAges.Merged merged = null;
    if (violations > cap) {
      tx.execute("DELETE FROM " + TABLE + " WHERE run_id = ?", runId);
      split = Split.OVER_CAP;
    } else {
      merged = KeyAges.merge(tx, runId, result, Optional.ofNullable(previous), violations, carry);
      split = merged.split();
      if (split == Split.INCOMPLETE) {
        // a part was lost (the store failed while it was written) or written twice: a split over
        // this key set would be wrong, so it is not computed, and the next run starts afresh
        tx.execute("DELETE FROM " + TABLE + " WHERE run_id = ?", runId);
      }
    }
    KeyScheme scheme = schemes.run();
    if (schemes.translation().isPresent()
        && carry == KeyAges.Carry.NONE
        && (split.tracking().equals("exact") || split.tracking().equals("first"))) {
      // the translation reads the run's whole set: its adopted arrays moved to it first
      merged = merged.adoptNow(tx);
      scheme = translated(tx, auditId, runId, schemes.translation().get()).orElse(scheme);
    }
    if (schemes.translation().isPresent()) {
      // read once, by the run's finish only
      tx.execute("DELETE FROM " + TRANSLATION + " WHERE run_id = ?", runId);
    }
    // what follows reads nothing back: the caller's batch, one round trip with its own writes (a
    // small run's time is mostly round trips to the store, docs/performance.md)
    List<Query> writes = new ArrayList<>();
    // retention: the latest completed run's key set is all the next run compares with
    writes.add(
        tx.query(
            "DELETE FROM "
                + TABLE
                + " k USING "
                + Store.SCHEMA
                + ".audit_run r WHERE r.id = k.run_id AND r.audit_id = ? AND k.run_id < ?"
                + " AND r.status <> 'running'",
            auditId,
            runId));
    writes.add(
        tx.query(
            "UPDATE "
                + Store.SCHEMA
                + ".audit_run SET new_violations = ?, persisting_violations = ?,"
                + " gone_violations = ?, key_tracking = ?, key_scheme = ? WHERE id = ?",
            split.newRows(),
            split.persistingRows(),
            split.goneRows(),
            split.tracking(),
            scheme.label(),
            runId));
    writes.add(recordLatest(tx, auditId, split.newRows(), split.goneRows()));
    if (split == Split.OVER_CAP || split == Split.INCOMPLETE) {
      // no key set: the ages and baseline flags stay those of the last known one
      writes.add(KeyAges.unknown(tx, auditId));
      batch.addAll(writes);
      return Optional.empty();
    }
    writes.addAll(KeyAges.record(tx, runId, result, merged));
    batch.addAll(writes);
    long elapsed = System.nanoTime() - started;
    if (elapsed > SLOW_NANOS) {
      // worth knowing when a big key set's merge is a visible part of the run
      // (docs/performance.md)
      log.info(
          "run {} of {}: {} violating rows compared with the previous key set in the store in {}"
              + " ms",
          runId,
          auditId,
          violations,
          elapsed / 1_000_000);
    }
    return Optional.of(merged.history());
  }

  /**
   * The previous runs of {@code auditId} as a run's statements need them: the latest completed
   * run's violations, and the scheme of the key set the run compares with (the latest completed
   * run's that kept keys, as {@link #onRunFinished} finds it); one round trip.
   */
  static Previous previous(DSLContext dsl, String auditId) {
    return previous(dsl.fetchSingle(PREVIOUS, auditId, auditId), 0);
  }

  /**
   * The query of {@link #previous}: columns {@code v}, {@code kept} and {@code key_scheme}; its two
   * parameters are the audit's id.
   */
  static final String PREVIOUS =
      "SELECT (SELECT violations FROM "
          + Store.SCHEMA
          + ".audit_latest WHERE audit_id = ? AND last_success_run_id IS NOT NULL) AS v,"
          + " r.id IS NOT NULL AS kept, r.key_scheme FROM (SELECT 1) o LEFT JOIN "
          + Store.SCHEMA
          + ".audit_run r ON r.id = (SELECT max(k.run_id) FROM "
          + TABLE
          + " k JOIN "
          + Store.SCHEMA
          + ".audit_run r2 ON r2.id = k.run_id WHERE r2.audit_id = ? AND r2.status IN"
          + " ('ok', 'violations'))";

  /** {@link #previous} from the columns of {@link #PREVIOUS}, the first at {@code from}. */
  static Previous previous(org.jooq.Record found, int from) {
    Long violations = found.get(from, Long.class);
    return new Previous(
        violations == null ? 0 : violations,
        found.get(from + 1, Boolean.class)
            ? Optional.of(KeyScheme.parse(found.get(from + 2, String.class)))
            : Optional.empty());
  }

  /**
   * What a run's statements ask of the previous runs of their audit.
   *
   * @param violations the latest completed run's (0: none yet)
   * @param keptScheme the scheme of the key set the run compares with; empty: none
   */
  record Previous(long violations, Optional<KeyScheme> keptScheme) {}

  /**
   * The schemes of a finishing run's keys (its parts', the kept set's when it wrote none), of the
   * previous run's key set ({@code audit_run.key_scheme}, NULL before V18: the text hash) and of
   * its statements' translation, if any: select-list items over {@code p(id)}, the previous run,
   * whose three parameters are the run's id (twice) after the previous run's, if any.
   */
  private static final String SCHEMES =
      "(SELECT count(DISTINCT coalesce(scheme, 'text')) FROM "
          + TABLE
          + " WHERE run_id = ? AND part <> '"
          + CARRIED
          + "') AS schemes, (SELECT min(coalesce(scheme, 'text')) FROM "
          + TABLE
          + " WHERE run_id = ? AND part <> '"
          + CARRIED
          + "') AS scheme, (SELECT coalesce(key_scheme, 'text') FROM "
          + Store.SCHEMA
          + ".audit_run WHERE id = p.id) AS previous_scheme, (SELECT CASE WHEN count(DISTINCT"
          + " scheme) = 1 THEN min(scheme) WHEN count(*) > 0 THEN '' END FROM "
          + TRANSLATION
          + " WHERE run_id = ?) AS translation";

  /**
   * @param translation the scheme the run's statements translated its keys to; empty: none sent; an
   *     empty text: several (the rows are deleted, the set stays in its scheme)
   */
  private record Schemes(
      KeyScheme run, KeyScheme previous, boolean comparable, Optional<String> translation) {
    /** From the columns of {@link #SCHEMES}, the first at {@code from}. */
    static Schemes of(org.jooq.Record found, int from, Long previousRun) {
      long schemes = found.get(from, Long.class);
      KeyScheme before = KeyScheme.parse(found.get(from + 2, String.class));
      Optional<String> translation = Optional.ofNullable(found.get(from + 3, String.class));
      if (schemes == 0) {
        // an increment of no rows: its keys are the kept set's
        return new Schemes(before, before, true, translation);
      }
      KeyScheme own = KeyScheme.parse(found.get(from + 1, String.class));
      return new Schemes(
          own, before, schemes == 1 && (previousRun == null || own.equals(before)), translation);
    }
  }

  /**
   * Translates the key set of finishing run {@code runId}, written and merged in the scheme of the
   * set it compared with, into the scheme its statements sent beside it ({@code
   * violation_key_translation}), key by key, each keeping its first-seen time and baseline flag:
   * once, in the run that changes the audit's scheme. Done only when every key of the set has
   * exactly one translation (a part lost to a store failure, or a weighted set: the set stays in
   * its scheme, and a later run that reads every row translates it).
   *
   * @return the scheme the set is in now, if translated
   */
  private static Optional<KeyScheme> translated(
      DSLContext tx, String auditId, long runId, String label) {
    if (label.isEmpty()) {
      return Optional.empty();
    }
    String[] to = {label};
    long started = System.nanoTime();
    String table = "translated_keys_" + runId;
    tx.execute(
        "CREATE TEMPORARY TABLE "
            + table
            + " ON COMMIT DROP AS SELECT p.t AS fp, k.fp AS kept, k.fs, k.b FROM (SELECT u.fp,"
            + " u.fs, u.b FROM "
            + KeyAges.TABLE
            + " v, unnest(v.fingerprints, v.first_seen, v.baseline) AS u(fp, fs, b)"
            + " WHERE v.audit_id = ? AND v.run_id = ? AND v.weights IS NULL) k"
            + " JOIN (SELECT DISTINCT u.s, u.t FROM "
            + TRANSLATION
            + " x, unnest(x.stored, x.translated) AS u(s, t) WHERE x.run_id = ?) p ON p.s = k.fp",
        auditId,
        runId,
        runId);
    var counts =
        tx.fetchSingle(
            "SELECT (SELECT count(*) FROM "
                + table
                + ") AS rows, (SELECT count(DISTINCT fp) FROM "
                + table
                + ") AS keys, (SELECT count(DISTINCT kept) FROM "
                + table
                + ") AS kept, (SELECT coalesce(sum(cardinality(fingerprints)), 0) FROM "
                + KeyAges.TABLE
                + " WHERE audit_id = ? AND run_id = ?) AS stored, (SELECT count(DISTINCT u.t) FROM "
                + TRANSLATION
                + " x, unnest(x.translated) AS u(t) WHERE x.run_id = ?) AS sent",
            auditId,
            runId,
            runId);
    long rows = counts.get(0, Long.class);
    long keys = counts.get(1, Long.class);
    long kept = counts.get(2, Long.class);
    long stored = counts.get(3, Long.class);
    long sent = counts.get(4, Long.class);
    if (rows != keys || keys != sent || kept != stored) {
      log.warn(
          "run {} of {}: its key set was not translated to {} ({} keys stored, {} translated, {}"
              + " sent): it stays in its scheme until a later run reads every row",
          runId,
          auditId,
          to[0],
          stored,
          keys,
          sent);
      tx.execute("DROP TABLE " + table);
      return Optional.empty();
    }
    tx.execute(
        "DELETE FROM " + KeyAges.TABLE + " WHERE audit_id = ? AND run_id = ?", auditId, runId);
    tx.execute(
        "INSERT INTO "
            + KeyAges.TABLE
            + " (audit_id, run_id, seq, fingerprints, weights, first_seen, baseline)"
            + " SELECT ?, ?, (n / 10000)::integer, array_agg(fp ORDER BY fp), NULL,"
            + " array_agg(fs ORDER BY fp), array_agg(b ORDER BY fp)"
            + " FROM (SELECT fp, fs, b, row_number() OVER (ORDER BY fp) - 1 AS n FROM "
            + table
            + ") s GROUP BY n / 10000",
        auditId,
        runId);
    tx.execute("DELETE FROM " + TABLE + " WHERE run_id = ?", runId);
    tx.execute(
        "INSERT INTO "
            + TABLE
            + " (run_id, part, batch, sorted_run, fingerprints, weights, scheme)"
            + " SELECT ?, 'translated', (n / 10000)::integer, 0, array_agg(fp ORDER BY fp), NULL, ?"
            + " FROM (SELECT fp, row_number() OVER (ORDER BY fp) - 1 AS n FROM "
            + table
            + ") s GROUP BY n / 10000",
        runId,
        to[0]);
    if (keys == 0) {
      // an empty key set is still a key set
      tx.execute(
          "INSERT INTO "
              + TABLE
              + " (run_id, part, batch, sorted_run, fingerprints, weights, scheme)"
              + " VALUES (?, 'translated', 0, 0, '{}', NULL, ?)",
          runId,
          to[0]);
    }
    tx.execute("DROP TABLE " + table);
    log.info(
        "run {} of {}: its key set of {} keys translated to {} (first-seen times and baseline"
            + " flags kept) in {} ms",
        runId,
        auditId,
        keys,
        to[0],
        (System.nanoTime() - started) / 1_000_000);
    return Optional.of(KeyScheme.parse(to[0]));
  }

  /** The latest completed run's split, for metrics (null: unknown). */
  private static Query recordLatest(DSLContext tx, String auditId, Long newRows, Long goneRows) {
    return tx.query(
        "UPDATE "
            + Store.SCHEMA
            + ".audit_latest SET new_violations = ?, gone_violations = ? WHERE audit_id = ?",
        newRows,
        goneRows,
        auditId);
  }

  /**
   * How a run's violating rows compare with the previous completed run's.
   *
   * @param tracking {@code exact}, {@code first} (nothing to compare with) or {@code over_cap}
   * @param newRows violating rows whose key was not violating then; null when unknown
   */
  public record Split(String tracking, Long newRows, Long persistingRows, Long goneRows) {
    static final Split FIRST = new Split("first", null, null, null);
    static final Split OVER_CAP = new Split("over_cap", null, null, null);
    static final Split INCOMPLETE = new Split("incomplete", null, null, null);
  }

  /** Why a split is unknown, in words for people. */
  public static String describe(String tracking) {
    return switch (tracking) {
      case "first" -> "first tracked run: nothing to compare with";
      case "over_cap" -> "unknown: more violations than track_keys";
      case "incomplete" -> "unknown: the store failed while the keys were written";
      default -> tracking;
    };
  }
}
