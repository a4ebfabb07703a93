package io.integrityauditor.run;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.KeyRange;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.config.RetryPolicy;
import io.integrityauditor.targets.Pools;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one bound audit against its target: one short READ ONLY transaction, with {@code
 * statement_timeout} (the audit's timeout, enforced and cancelled by the server), {@code
 * lock_timeout} (never queue behind a migration holding an exclusive lock), {@code
 * idle_in_transaction_session_timeout} (a stuck worker cannot hold a snapshot) and an {@code
 * application_name} naming the audit. The transaction is rolled back: nothing is ever written.
 */
public final class AuditRunner {
  private static final Logger LOG = LoggerFactory.getLogger(AuditRunner.class);

  private final Clock clock;
  private final Cancellation cancellation;
  private final RetryPolicy retry;

  public AuditRunner(Clock clock, Cancellation cancellation, RetryPolicy retry) {
    this.clock = clock;
    this.cancellation = cancellation;
    this.retry = retry;
  }

  /**
   * Runs the audit, retrying transient failures (lost connection, replica conflict) per the retry
   * policy. A run still failing after the last attempt is an error marked inconclusive.
   */
  public AuditResult run(Audit audit, AuditQuery query, DataSource target) {
    return run(audit, query, target, KeySink.NONE);
  }

  /** The same, sending the violating keys' fingerprints to {@code keys}. */
  public AuditResult run(Audit audit, AuditQuery query, DataSource target, KeySink keys) {
    Outcome<Measurement> outcome =
        inTransaction(
            audit, query.relations(), target, context -> query.execute(context, keys), "");
    if (outcome.value().isPresent()) {
      Measurement measurement = outcome.value().get();
      LOG.info(
          "audit {} on {}: {} in {} checked ({} ms)",
          audit.id(),
          audit.target(),
          Plural.of(measurement.violations(), "violation"),
          Plural.of(measurement.rowsChecked(), "row"),
          outcome.duration().toMillis());
      return AuditResult.completed(audit, measurement, outcome.startedAt(), outcome.duration())
          .afterAttempts(outcome.attempts());
    }
    return AuditResult.failed(
            audit,
            outcome.status(),
            outcome.error().orElseThrow(),
            outcome.startedAt(),
            outcome.duration())
        .afterAttempts(outcome.attempts());
  }

  /**
   * What one unit of work (a whole audit, a chunk, an increment) came to: its value, or the status
   * and error it failed with after its attempts.
   *
   * @param startedAt when the last attempt started
   * @param duration how long the last attempt took
   */
  public record Outcome<T>(
      Optional<T> value,
      RunStatus status,
      Optional<RunError> error,
      Instant startedAt,
      Duration duration,
      int attempts) {}

  /**
   * Runs {@code work} in its own READ ONLY transaction on {@code target} with the audit's timeouts,
   * application name and planner settings, retrying transient failures per the retry policy.
   *
   * @param relations the tables it reads, named in lock and permission errors
   * @param what a label for log lines ("", " chunk 3")
   */
  public <T> Outcome<T> inTransaction(
      Audit audit,
      List<String> relations,
      DataSource target,
      Function<DSLContext, T> work,
      String what) {
    for (int attempt = 1; ; attempt++) {
      Attempt<T> outcome = attempt(audit, relations, target, work, what);
      if (outcome.value().isPresent() || !outcome.retryable() || cancellation.isCancelled()) {
        return outcome.toOutcome(attempt);
      }
      if (attempt >= retry.attempts()) {
        RunError error = outcome.error();
        return new Outcome<>(
            Optional.empty(),
            outcome.status(),
            Optional.of(
                new RunError(
                    error.errorClass(),
                    "inconclusive after "
                        + Plural.of(attempt, "attempt")
                        + ": "
                        + error.message())),
            outcome.startedAt(),
            outcome.duration(),
            attempt);
      }
      Duration pause = retry.backoffBefore(attempt + 1);
      LOG.warn(
          "audit {}{} attempt {} failed ({}); retrying in {} ms",
          audit.id(),
          what,
          attempt,
          outcome.error().errorClass(),
          pause.toMillis());
      if (!cancellation.pause(pause)) {
        return outcome.toOutcome(attempt);
      }
    }
  }

  /** One attempt, and whether its failure is worth retrying. */
  private record Attempt<T>(
      Optional<T> value,
      RunStatus status,
      RunError error,
      Instant startedAt,
      Duration duration,
      boolean retryable) {
    Outcome<T> toOutcome(int attempts) {
      return new Outcome<>(
          value, status, Optional.ofNullable(error), startedAt, duration, attempts);
    }
  }

  private <T> Attempt<T> attempt(
      Audit audit,
      List<String> relations,
      DataSource target,
      Function<DSLContext, T> work,
      String what) {
    Instant started = clock.instant();
    long startNanos = System.nanoTime();
    if (cancellation.isCancelled()) {
      AuditResult interrupted = interrupted(audit, started);
      return new Attempt<>(
          Optional.empty(),
          interrupted.status(),
          interrupted.error().orElseThrow(),
          started,
          Duration.ZERO,
          false);
    }
    try (Connection connection = target.getConnection()) {
      cancellation.register(connection);
      try {
        DSLContext context = begin(audit, connection, false);
        Optional<RunError> refused = RoleGuard.refusal(audit, connection);
        if (refused.isPresent()) {
          connection.rollback();
          LOG.warn("audit {} on {}: {}", audit.id(), audit.target(), refused.get().message());
          return new Attempt<>(
              Optional.empty(),
              RunStatus.ERROR,
              refused.get(),
              started,
              Duration.ofNanos(System.nanoTime() - startNanos),
              false);
        }
        T value = work.apply(context);
        connection.rollback();
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        return new Attempt<>(Optional.of(value), RunStatus.OK, null, started, took, false);
      } catch (RuntimeException e) {
        ReadOnlyTransaction.rollbackQuietly(connection);
        throw e;
      } finally {
        cancellation.unregister(connection);
        SessionReset.beforeReturn(connection, target);
      }
    } catch (Exception e) {
      Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
      ErrorClassifier.Classified classified =
          ErrorClassifier.classify(e, cancellation.isCancelled(), relations);
      LOG.warn(
          "audit {}{} on {} did not complete: {} ({})",
          audit.id(),
          what,
          audit.target(),
          classified.status().label(),
          classified.error().message());
      return new Attempt<>(
          Optional.empty(),
          classified.status(),
          classified.error(),
          started,
          took,
          classified.retryable());
    }
  }

  /** One statement of an audit and PostgreSQL's plan for it. */
  public record Explained(String sql, List<String> plan) {}

  /**
   * The statements of an audit with their plans, or why they could not be explained.
   *
   * @param chunks how a chunked run would split the driving table; empty for one statement
   */
  public record Explanation(
      List<Explained> statements, Optional<RunError> error, Optional<ChunkPlan> chunks) {}

  /**
   * The key ranges a chunked run would make now (from the table's statistics, like the run's own
   * plan): its statements cover one or more consecutive ranges each, sized as the run goes.
   *
   * @param table the driving table
   * @param key the column it is split by
   * @param ranges how many key ranges
   * @param estimatedRows the rows they hold, by the estimate
   */
  public record ChunkPlan(String table, String key, int ranges, long estimatedRows) {}

  /**
   * Prints what the audit would run: its SQL (formatted, bind values inlined) and PostgreSQL's
   * {@code EXPLAIN} of each statement, in the same READ ONLY transaction with the same timeouts as
   * a run. {@code analyze} runs the statements ({@code EXPLAIN (ANALYZE, BUFFERS)}) — still
   * read-only and rolled back.
   */
  public Explanation explain(Audit audit, AuditQuery query, DataSource target, boolean analyze) {
    List<Explained> explained = new ArrayList<>();
    Optional<ChunkPlan> chunks = Optional.empty();
    try (Connection connection = target.getConnection()) {
      try {
        DSLContext context = begin(audit, connection, true);
        if (analyze) {
          // EXPLAIN ANALYZE executes the query: the same rule as a run
          Optional<RunError> refused = RoleGuard.refusal(audit, connection);
          if (refused.isPresent()) {
            return new Explanation(explained, refused, chunks);
          }
        }
        List<String> statements = query.sql(context);
        // a chunked run runs chunk statements, not the single statement: show the first one
        Optional<RangeScan> chunked =
            query
                .rangeScan()
                .filter(scan -> audit.execution().mode() != Execution.Mode.INCREMENTAL)
                .filter(scan -> AuditExecutor.chunks(audit.execution(), scan));
        if (chunked.isPresent()) {
          RangeScan scan = chunked.get();
          ColumnInfo key = Execution.chunkKey(scan.table()).orElseThrow();
          List<ChunkSlice> slices = ChunkPlanner.plan(context, scan, key);
          ChunkSlice first = slices.get(0);
          statements =
              List.of(scan.sql(context, KeyRange.between(scan, key, first.lower(), first.upper())));
          chunks =
              Optional.of(
                  new ChunkPlan(
                      scan.table().id().toString(),
                      key.name(),
                      slices.size(),
                      slices.stream().mapToLong(ChunkSlice::estimatedRows).sum()));
        }
        for (String sql : statements) {
          List<String> plan = new ArrayList<>();
          try (PreparedStatement statement =
                  connection.prepareStatement(
                      "EXPLAIN " + (analyze ? "(ANALYZE, BUFFERS) " : "") + sql);
              ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
              plan.add(rows.getString(1));
            }
          }
          explained.add(new Explained(sql, plan));
        }
        return new Explanation(explained, Optional.empty(), chunks);
      } finally {
        ReadOnlyTransaction.rollbackQuietly(connection);
        // EXPLAIN ANALYZE runs the query: the same session state can be left behind
        SessionReset.beforeReturn(connection, target);
      }
    } catch (Exception e) {
      ErrorClassifier.Classified classified = ErrorClassifier.classify(e, false, query.relations());
      return new Explanation(explained, Optional.of(classified.error()), chunks);
    }
  }

  /** Starts the audit's transaction through the one read-only door, with the audit's limits. */
  private DSLContext begin(Audit audit, Connection connection, boolean formatted)
      throws SQLException {
    // the audit's planner settings (work_mem, max_parallel_workers_per_gather, ...) are validated
    // against an allow-list at load; they end with the transaction like the limits
    DSLContext context =
        ReadOnlyTransaction.begin(
            connection,
            new ReadOnlyTransaction.Limits(
                audit.timeout(),
                audit.lockTimeout(),
                Optional.of(applicationName(audit)),
                audit.execution().settings()));
    return formatted
        ? DSL.using(connection, SQLDialect.POSTGRES, context.settings().withRenderFormatted(true))
        : context;
  }

  /** The result of a run stopped by shutdown before or while it ran. */
  public AuditResult interrupted(Audit audit, Instant started) {
    return AuditResult.failed(
        audit,
        RunStatus.INTERRUPTED,
        new RunError("interrupted", "the worker was shutting down"),
        started,
        Duration.between(started, clock.instant()));
  }

  /** {@code integrity-auditor:<audit id>}, cut to PostgreSQL's 63-byte limit. */
  static String applicationName(Audit audit) {
    String name = Pools.APPLICATION_NAME + ":" + audit.id();
    return name.length() <= 63 ? name : name.substring(0, 63);
  }
}
