package io.integrityauditor.store;

import static io.integrityauditor.store.jooq.Tables.AUDIT_CHUNK;
import static io.integrityauditor.store.jooq.Tables.AUDIT_CHUNK_PLAN;
import static io.integrityauditor.store.jooq.Tables.AUDIT_LATEST;
import static io.integrityauditor.store.jooq.Tables.AUDIT_RUN;
import static io.integrityauditor.store.jooq.Tables.AUDIT_WATERMARK;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.integrityauditor.Json;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.run.ChunkQueue;
import io.integrityauditor.run.ChunkSlice;
import io.integrityauditor.run.RunError;
import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.run.RunSupport;
import io.integrityauditor.run.SweepScope;
import io.integrityauditor.store.jooq.tables.records.AuditChunkRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Query;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * Chunk queues and watermarks in the store ({@link RunSupport}).
 *
 * <p>A chunked run publishes its key ranges ({@code audit_chunk}); any node claims consecutive
 * pending ranges with {@code FOR UPDATE SKIP LOCKED} and keeps them locked, in a store transaction
 * of its own, while their statement runs on the target; the result is written and committed with
 * the ranges marked done. A node that dies loses its session, so its ranges are pending again for a
 * peer; a node that is only paused keeps them, so no range is ever counted twice. The coordinator
 * (the node holding the audit's lease) combines the partial results into the run's one result.
 */
public final class ChunkStore implements RunSupport {
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  /** At most this many ranges are locked in one round trip (the plan has up to 20,000). */
  private static final int MAX_BATCH = 1_000;

  private final Store store;
  private final DSLContext dsl;
  private final String nodeId;
  private final Clock clock;

  public ChunkStore(Store store, String nodeId, Clock clock) {
    this.store = store;
    this.dsl = store.dsl();
    this.nodeId = nodeId;
    this.clock = clock;
  }

  @Override
  public Optional<SharedChunks> share(
      long runId,
      Audit audit,
      String fingerprint,
      ColumnInfo key,
      Optional<SweepScope> scope,
      List<ChunkSlice> slices) {
    try {
      dsl.transaction(
          configuration -> {
            DSLContext tx = configuration.dsl();
            tx.insertInto(AUDIT_CHUNK_PLAN)
                .set(AUDIT_CHUNK_PLAN.RUN_ID, runId)
                .set(AUDIT_CHUNK_PLAN.AUDIT_ID, audit.id())
                .set(AUDIT_CHUNK_PLAN.FINGERPRINT, fingerprint)
                .set(AUDIT_CHUNK_PLAN.KEY_COLUMN, key.name())
                .set(AUDIT_CHUNK_PLAN.UPTO_COLUMN, scope.map(SweepScope::column).orElse(null))
                .set(AUDIT_CHUNK_PLAN.UPTO_VALUE, scope.flatMap(SweepScope::upTo).orElse(null))
                .set(AUDIT_CHUNK_PLAN.TARGET_MS, audit.execution().chunkTarget().toMillis())
                .set(AUDIT_CHUNK_PLAN.CREATED_AT, clock.instant())
                .execute();
            var insert =
                tx.insertInto(
                    AUDIT_CHUNK,
                    AUDIT_CHUNK.RUN_ID,
                    AUDIT_CHUNK.ORDINAL,
                    AUDIT_CHUNK.LOWER_BOUND,
                    AUDIT_CHUNK.UPPER_BOUND,
                    AUDIT_CHUNK.ESTIMATED_ROWS);
            for (ChunkSlice slice : slices) {
              insert =
                  insert.values(
                      runId,
                      slice.ordinal(),
                      slice.lower().orElse(null),
                      slice.upper().orElse(null),
                      slice.estimatedRows());
            }
            insert.execute();
          });
    } catch (DataAccessException e) {
      throw new StoreException("cannot record the chunks of run " + runId, e);
    }
    ChunkQueue queue = queue(runId);
    return Optional.of(
        new SharedChunks() {
          @Override
          public ChunkQueue queue() {
            return queue;
          }

          @Override
          public void close() {
            closePlan(runId);
          }
        });
  }

  /** Tells helpers the run needs no more help (done, failed or interrupted). */
  void closePlan(long runId) {
    try {
      dsl.update(AUDIT_CHUNK_PLAN)
          .set(AUDIT_CHUNK_PLAN.OPEN, false)
          .where(AUDIT_CHUNK_PLAN.RUN_ID.eq(runId))
          .execute();
    } catch (DataAccessException e) {
      // helpers also stop when the run is no longer running
    }
  }

  /**
   * A chunked run that other nodes may help with.
   *
   * @param fingerprint the chunk statement's hash: help only with an identical definition
   */
  public record OpenPlan(
      long runId,
      String auditId,
      String fingerprint,
      String keyColumn,
      Optional<SweepScope> scope) {}

  /** Plans of running runs with pending chunks, oldest first. */
  public List<OpenPlan> openPlans() {
    return dsl.select(
            AUDIT_CHUNK_PLAN.RUN_ID,
            AUDIT_CHUNK_PLAN.AUDIT_ID,
            AUDIT_CHUNK_PLAN.FINGERPRINT,
            AUDIT_CHUNK_PLAN.KEY_COLUMN,
            AUDIT_CHUNK_PLAN.UPTO_COLUMN,
            AUDIT_CHUNK_PLAN.UPTO_VALUE)
        .from(AUDIT_CHUNK_PLAN)
        .join(AUDIT_RUN)
        .on(AUDIT_RUN.ID.eq(AUDIT_CHUNK_PLAN.RUN_ID))
        .where(AUDIT_CHUNK_PLAN.OPEN)
        .and(AUDIT_RUN.STATUS.eq(RunStore.RUNNING))
        .andExists(
            DSL.selectOne()
                .from(AUDIT_CHUNK)
                .where(AUDIT_CHUNK.RUN_ID.eq(AUDIT_CHUNK_PLAN.RUN_ID))
                .and(AUDIT_CHUNK.STATE.eq("pending")))
        .orderBy(AUDIT_CHUNK_PLAN.CREATED_AT)
        .fetch(
            r ->
                new OpenPlan(
                    r.value1(),
                    r.value2(),
                    r.value3(),
                    r.value4(),
                    Optional.ofNullable(r.value5())
                        .map(column -> new SweepScope(column, Optional.ofNullable(r.value6())))));
  }

  /** The chunk queue of run {@code runId}, as this node sees it. */
  public ChunkQueue queue(long runId) {
    return new StoreQueue(runId);
  }

  @Override
  public IncrementalStart incrementalStart(OptionalLong runId, Audit audit) {
    // the watermark with what the run's statements ask of the previous runs: one round trip
    var found =
        dsl.fetchSingle(
            "SELECT p.v, p.kept, p.key_scheme, w.fingerprint, w.column_name, w.watermark,"
                + " w.partial::text, w.last_full_at FROM ("
                + KeySets.PREVIOUS
                + ") p LEFT JOIN "
                + Store.SCHEMA
                + ".audit_watermark w ON w.audit_id = ?",
            audit.id(),
            audit.id(),
            audit.id());
    KeySets.Previous known = KeySets.previous(found, 0);
    Optional<RunInfo.WatermarkState> watermark =
        found.get(3) == null
            ? Optional.empty()
            : Optional.of(
                new RunInfo.WatermarkState(
                    found.get(3, String.class),
                    found.get(4, String.class),
                    Optional.ofNullable(found.get(5, String.class)),
                    partial(JSONB.valueOf(found.get(6, String.class))),
                    found.get(7, Instant.class)));
    return new IncrementalStart(
        watermark,
        runId.isPresent() ? keys(runId.getAsLong(), audit, new Previous(known)) : KeySink.NONE);
  }

  @Override
  public KeySink keys(long runId, Audit audit) {
    return keys(runId, audit, new Previous(audit.id()));
  }

  private KeySink keys(long runId, Audit audit, Previous previous) {
    long cap = audit.execution().trackKeys();
    return cap == 0
        ? KeySink.NONE
        : KeySets.sink(store.dataSource(), runId, cap)
            .withPrevious(() -> previous.get().violations(), () -> previous.get().keptScheme());
  }

  /**
   * The violations of the audit's latest completed run (0: none yet) and the scheme of its kept key
   * set ({@link KeySets#keptScheme}), read together once.
   */
  private final class Previous {
    private final String auditId;
    private KeySets.Previous known;

    Previous(String auditId) {
      this.auditId = auditId;
    }

    /** Already read (with the watermark). */
    Previous(KeySets.Previous known) {
      this.auditId = null;
      this.known = known;
    }

    synchronized KeySets.Previous get() {
      if (known == null) {
        known = KeySets.previous(dsl, auditId);
      }
      return known;
    }
  }

  @Override
  public boolean keepsWatermarks() {
    return true;
  }

  @Override
  public double rowsPerSecond(String auditId) {
    var latest =
        dsl.select(AUDIT_LATEST.ROWS_CHECKED, AUDIT_LATEST.LAST_DURATION_MS, AUDIT_LATEST.LAST_MODE)
            .from(AUDIT_LATEST)
            .where(AUDIT_LATEST.AUDIT_ID.eq(auditId))
            .and(AUDIT_LATEST.LAST_STATUS.in(RunStatus.OK.label(), RunStatus.VIOLATIONS.label()))
            .fetchOptional();
    if (latest.isEmpty()
        || latest.get().value1() == null
        || latest.get().value2() == null
        || latest.get().value2() <= 0
        || latest.get().value3() == null
        || !RunInfo.Mode.fromLabel(latest.get().value3()).readsEveryRow()) {
      return 0;
    }
    return latest.get().value1() * 1000.0 / latest.get().value2();
  }

  /** Stores an incremental audit's state; called in the transaction that finishes its run. */
  static Query saveWatermark(DSLContext tx, long runId, RunInfo.Watermark state, Instant now) {
    JSONB partial = JSONB.valueOf(Json.write(state.partial().toJson()));
    var insert =
        tx.insertInto(AUDIT_WATERMARK)
            .set(AUDIT_WATERMARK.AUDIT_ID, state.auditId())
            .set(AUDIT_WATERMARK.FINGERPRINT, state.fingerprint())
            .set(AUDIT_WATERMARK.COLUMN_NAME, state.column())
            .set(AUDIT_WATERMARK.WATERMARK, state.value().orElse(null))
            .set(AUDIT_WATERMARK.PARTIAL, partial)
            .set(AUDIT_WATERMARK.LAST_FULL_RUN_ID, state.fullSweep() ? runId : null)
            .set(AUDIT_WATERMARK.LAST_FULL_AT, now)
            .set(AUDIT_WATERMARK.UPDATED_RUN_ID, runId)
            .set(AUDIT_WATERMARK.UPDATED_AT, now)
            .onConflict(AUDIT_WATERMARK.AUDIT_ID)
            .doUpdate()
            .set(AUDIT_WATERMARK.FINGERPRINT, state.fingerprint())
            .set(AUDIT_WATERMARK.COLUMN_NAME, state.column())
            .set(AUDIT_WATERMARK.WATERMARK, state.value().orElse(null))
            .set(AUDIT_WATERMARK.PARTIAL, partial)
            .set(AUDIT_WATERMARK.UPDATED_RUN_ID, runId)
            .set(AUDIT_WATERMARK.UPDATED_AT, now);
    if (state.fullSweep()) {
      return insert
          .set(AUDIT_WATERMARK.LAST_FULL_RUN_ID, runId)
          .set(AUDIT_WATERMARK.LAST_FULL_AT, now);
    }
    return insert;
  }

  static ScanPartial partial(JSONB json) {
    try {
      return ScanPartial.fromJson(Json.MAPPER.readValue(json.data(), MAP));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt partial result in the store", e);
    }
  }

  /** The chunks of one run in the store. */
  private final class StoreQueue implements ChunkQueue {
    private final long runId;

    StoreQueue(long runId) {
      this.runId = runId;
    }

    @Override
    public Optional<Claim> claim(long rows) {
      Connection connection;
      try {
        connection = store.dataSource().getConnection();
      } catch (SQLException e) {
        throw new StoreException("cannot claim chunks of run " + runId, e);
      }
      try {
        connection.setAutoCommit(false);
        DSLContext tx = DSL.using(connection, SQLDialect.POSTGRES);
        List<ChunkSlice> claimed = new ArrayList<>();
        // The first free pending range, then the ones right after it while they are free and fit:
        // locking row by row keeps every range we do not take claimable by others.
        Optional<AuditChunkRecord> first =
            tx.selectFrom(AUDIT_CHUNK)
                .where(AUDIT_CHUNK.RUN_ID.eq(runId))
                .and(AUDIT_CHUNK.STATE.eq("pending"))
                .orderBy(AUDIT_CHUNK.ORDINAL)
                .limit(1)
                .forUpdate()
                .skipLocked()
                .fetchOptional();
        if (first.isEmpty()) {
          connection.rollback();
          connection.close();
          return Optional.empty();
        }
        claimed.add(slice(first.get()));
        long total = first.get().getEstimatedRows();
        List<ChunkSlice> batch = claimFollowing(connection, tx, first.get(), rows - total);
        claimed.addAll(batch);
        for (ChunkSlice slice : batch) {
          total += slice.estimatedRows();
        }
        // the one-by-one way: when the batch was not what fits (another node holds a range in
        // between, or the ranges' sizes differ)
        while (batch.isEmpty() && total < rows) {
          int next = claimed.get(claimed.size() - 1).ordinal() + 1;
          Optional<AuditChunkRecord> more =
              tx.selectFrom(AUDIT_CHUNK)
                  .where(AUDIT_CHUNK.RUN_ID.eq(runId))
                  .and(AUDIT_CHUNK.ORDINAL.eq(next))
                  .and(AUDIT_CHUNK.STATE.eq("pending"))
                  .forUpdate()
                  .skipLocked()
                  .fetchOptional();
          if (more.isEmpty() || total + more.get().getEstimatedRows() > rows) {
            break;
          }
          claimed.add(slice(more.get()));
          total += more.get().getEstimatedRows();
        }
        return Optional.of(new StoreClaim(runId, connection, tx, List.copyOf(claimed)));
      } catch (SQLException | RuntimeException e) {
        try {
          connection.rollback();
          connection.close();
        } catch (SQLException ignored) {
          // the connection is broken; the pool discards it
        }
        throw new StoreException("cannot claim chunks of run " + runId, e);
      }
    }

    /**
     * Locks the pending ranges right after {@code first} that fit in {@code room} rows, in one
     * round trip (a statement of a few million rows spans dozens of ranges: locking them one by one
     * cost a store round trip each, between every two statements, which a loaded machine makes
     * slow). The batch is locked under a savepoint and taken only when every range it locked is
     * consecutive and fits; otherwise the savepoint is rolled back (which releases those locks, so
     * no range is held without being run) and the caller locks them one by one. Empty when nothing
     * was taken.
     */
    private List<ChunkSlice> claimFollowing(
        Connection connection, DSLContext tx, AuditChunkRecord first, long room)
        throws SQLException {
      long each = Math.max(1, first.getEstimatedRows());
      int wanted = (int) Math.min(MAX_BATCH, room / each);
      if (wanted < 1) {
        return List.of();
      }
      Savepoint savepoint = connection.setSavepoint();
      List<AuditChunkRecord> locked =
          tx.selectFrom(AUDIT_CHUNK)
              .where(AUDIT_CHUNK.RUN_ID.eq(runId))
              .and(AUDIT_CHUNK.ORDINAL.between(first.getOrdinal() + 1, first.getOrdinal() + wanted))
              .and(AUDIT_CHUNK.STATE.eq("pending"))
              .orderBy(AUDIT_CHUNK.ORDINAL)
              .forUpdate()
              .skipLocked()
              .fetch();
      List<ChunkSlice> taken = new ArrayList<>();
      int next = first.getOrdinal() + 1;
      long rows = 0;
      for (AuditChunkRecord record : locked) {
        if (record.getOrdinal() != next || rows + record.getEstimatedRows() > room) {
          connection.rollback(savepoint);
          return List.of();
        }
        taken.add(slice(record));
        rows += record.getEstimatedRows();
        next++;
      }
      connection.releaseSavepoint(savepoint);
      return taken;
    }

    private ChunkSlice slice(AuditChunkRecord record) {
      return new ChunkSlice(
          record.getOrdinal(),
          Optional.ofNullable(record.getLowerBound()),
          Optional.ofNullable(record.getUpperBound()),
          record.getEstimatedRows());
    }

    @Override
    public Progress progress() {
      Record counts =
          dsl.select(
                  DSL.count().filterWhere(AUDIT_CHUNK.STATE.eq("pending")),
                  DSL.count().filterWhere(AUDIT_CHUNK.STATE.eq("done")),
                  DSL.sum(AUDIT_CHUNK.ESTIMATED_ROWS).filterWhere(AUDIT_CHUNK.STATE.eq("pending")))
              .from(AUDIT_CHUNK)
              .where(AUDIT_CHUNK.RUN_ID.eq(runId))
              .fetchOne();
      Optional<RunError> failure =
          dsl.select(AUDIT_CHUNK.ERROR_CLASS, AUDIT_CHUNK.ERROR_MESSAGE)
              .from(AUDIT_CHUNK)
              .where(AUDIT_CHUNK.RUN_ID.eq(runId))
              .and(AUDIT_CHUNK.STATE.eq("failed"))
              .and(AUDIT_CHUNK.ERROR_CLASS.isNotNull())
              .orderBy(AUDIT_CHUNK.ORDINAL)
              .limit(1)
              .fetchOptional(r -> new RunError(r.value1(), r.value2()));
      return new Progress(
          counts.get(0, Integer.class),
          counts.get(1, Integer.class),
          // NULL: no slice pending
          Optional.ofNullable(counts.get(2, Long.class)).orElse(0L),
          failure);
    }

    @Override
    public List<Statement> statements() {
      return dsl.select(
              AUDIT_CHUNK.STATEMENT,
              DSL.count(),
              DSL.sum(AUDIT_CHUNK.ESTIMATED_ROWS),
              DSL.min(AUDIT_CHUNK.NODE_ID),
              DSL.max(AUDIT_CHUNK.STARTED_AT),
              DSL.max(AUDIT_CHUNK.DURATION_MS))
          .from(AUDIT_CHUNK)
          .where(AUDIT_CHUNK.RUN_ID.eq(runId))
          .and(AUDIT_CHUNK.STATE.eq("done"))
          .groupBy(AUDIT_CHUNK.STATEMENT)
          .fetch(
              r ->
                  new Statement(
                      r.value1(),
                      r.value2(),
                      r.value3().longValue(),
                      r.value4(),
                      r.value5().plusMillis(r.value6()),
                      Duration.ofMillis(r.value6())));
    }

    @Override
    public ScanPartial total() {
      ScanPartial total = ScanPartial.EMPTY;
      for (JSONB json :
          dsl.select(AUDIT_CHUNK.PARTIAL)
              .from(AUDIT_CHUNK)
              .where(AUDIT_CHUNK.RUN_ID.eq(runId))
              .and(AUDIT_CHUNK.STATE.eq("done"))
              .and(AUDIT_CHUNK.PARTIAL.isNotNull())
              .fetch(AUDIT_CHUNK.PARTIAL)) {
        total = total.merge(partial(json));
      }
      return total;
    }
  }

  /** Slices locked by this node's open store transaction while their statement runs. */
  private final class StoreClaim implements ChunkQueue.Claim {
    private final long runId;
    private final Connection connection;
    private final DSLContext tx;
    private final List<ChunkSlice> slices;

    StoreClaim(long runId, Connection connection, DSLContext tx, List<ChunkSlice> slices) {
      this.runId = runId;
      this.connection = connection;
      this.tx = tx;
      this.slices = slices;
    }

    @Override
    public List<ChunkSlice> slices() {
      return slices;
    }

    private int first() {
      return slices.get(0).ordinal();
    }

    private int last() {
      return slices.get(slices.size() - 1).ordinal();
    }

    @Override
    public void complete(ScanPartial partial, Instant startedAt, Duration duration) {
      Map<String, Object> json = partial.toJson();
      end(
          () -> {
            tx.update(AUDIT_CHUNK)
                .set(AUDIT_CHUNK.STATE, "done")
                .set(AUDIT_CHUNK.STATEMENT, first())
                .set(AUDIT_CHUNK.NODE_ID, nodeId)
                .set(AUDIT_CHUNK.STARTED_AT, startedAt)
                .set(AUDIT_CHUNK.DURATION_MS, duration.toMillis())
                .where(AUDIT_CHUNK.RUN_ID.eq(runId))
                .and(AUDIT_CHUNK.ORDINAL.between(first(), last()))
                .execute();
            tx.update(AUDIT_CHUNK)
                .set(AUDIT_CHUNK.ROWS_CHECKED, partial.rowsChecked())
                .set(AUDIT_CHUNK.VIOLATIONS, partial.violations())
                .set(AUDIT_CHUNK.PARTIAL, JSONB.valueOf(Json.write(json)))
                .where(AUDIT_CHUNK.RUN_ID.eq(runId))
                .and(AUDIT_CHUNK.ORDINAL.eq(first()))
                .execute();
            connection.commit();
          });
    }

    @Override
    public void fail(RunError error) {
      end(
          () -> {
            tx.update(AUDIT_CHUNK)
                .set(AUDIT_CHUNK.STATE, "failed")
                .set(AUDIT_CHUNK.STATEMENT, first())
                .set(AUDIT_CHUNK.NODE_ID, nodeId)
                .set(AUDIT_CHUNK.ERROR_CLASS, error.errorClass())
                .set(AUDIT_CHUNK.ERROR_MESSAGE, Redactor.redact(error.message()))
                .where(AUDIT_CHUNK.RUN_ID.eq(runId))
                .and(AUDIT_CHUNK.ORDINAL.between(first(), last()))
                .execute();
            connection.commit();
          });
    }

    @Override
    public void release() {
      end(connection::rollback);
    }

    private interface Step {
      void run() throws SQLException;
    }

    private void end(Step step) {
      try {
        step.run();
      } catch (SQLException | DataAccessException e) {
        throw new StoreException("cannot record chunks " + first() + "-" + last(), e);
      } finally {
        try {
          connection.close();
        } catch (SQLException ignored) {
          // closing returns it to the pool; a broken one is discarded
        }
      }
    }
  }
}
