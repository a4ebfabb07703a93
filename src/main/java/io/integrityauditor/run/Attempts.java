package io.integrityauditor.run;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.RetryPolicy;
import io.integrityauditor.targets.Pools;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one attempt and retry policy of every unit of an audit's work (a whole audit, a chunk, an
 * increment, a chunk plan): each attempt in its own short READ ONLY transaction through {@link
 * ReadOnlyTransaction}, with {@code statement_timeout} (the audit's timeout, enforced and cancelled
 * by the server), {@code lock_timeout} (never queue behind a migration holding an exclusive lock),
 * {@code idle_in_transaction_session_timeout} (a stuck worker cannot hold a snapshot) and an {@code
 * application_name} naming the audit, rolled back: nothing is ever written. Transient failures
 * (lost connection, replica conflict) are retried per the retry policy; a unit still failing after
 * the last attempt is an error marked inconclusive.
 */
public final class Attempts {
  private static final Logger LOG = LoggerFactory.getLogger(Attempts.class);

  private final Clock clock;
  private final Cancellation cancellation;
  private final RetryPolicy retry;

  public Attempts(Clock clock, Cancellation cancellation, RetryPolicy retry) {
    this.clock = clock;
    this.cancellation = cancellation;
    this.retry = retry;
  }

  Clock clock() {
    return clock;
  }

  Cancellation cancellation() {
    return cancellation;
  }

  /**
   * Runs {@code work} in its own READ ONLY transaction on {@code target} with the audit's timeouts,
   * application name and planner settings, retrying transient failures per the retry policy.
   *
   * @param relations the tables it reads, named in lock and permission errors
   * @param what a label for log lines ("", " chunk 3")
   */
  <T> Outcome<T> inTransaction(
      Audit audit,
      List<String> relations,
      DataSource target,
      Function<DSLContext, T> work,
      String what) {
    return attempts(audit, relations, target, work, what, false, Map.of());
  }

  /**
   * As {@link #inTransaction}, with planner settings of the run's own beyond the audit's ({@code
   * defaults}; the audit's {@code settings:} win), set with the transaction's limits in its first
   * statement rather than a {@code SET LOCAL} each.
   */
  <T> Outcome<T> inTransaction(
      Audit audit,
      List<String> relations,
      DataSource target,
      Map<String, String> defaults,
      Function<DSLContext, T> work,
      String what) {
    return attempts(audit, relations, target, work, what, false, defaults);
  }

  /**
   * As {@link #inTransaction}, REPEATABLE READ: all of the work's statements see one snapshot (a
   * scan across databases reads the child's table in two statements).
   */
  <T> Outcome<T> inOneSnapshot(
      Audit audit,
      List<String> relations,
      DataSource target,
      Function<DSLContext, T> work,
      String what) {
    return attempts(audit, relations, target, work, what, true, Map.of());
  }

  private <T> Outcome<T> attempts(
      Audit audit,
      List<String> relations,
      DataSource target,
      Function<DSLContext, T> work,
      String what,
      boolean oneSnapshot,
      Map<String, String> extra) {
    for (int attempt = 1; ; attempt++) {
      Attempt<T> outcome = attempt(audit, relations, target, work, what, oneSnapshot, extra);
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
      String what,
      boolean oneSnapshot,
      Map<String, String> extra) {
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
      boolean reset = false;
      try {
        DSLContext context =
            oneSnapshot
                ? ReadOnlyTransaction.beginRepeatableRead(connection, limits(audit, extra))
                : begin(audit, extra, connection);
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
        reset = SessionReset.inTransaction(connection);
        connection.rollback();
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        return new Attempt<>(Optional.of(value), RunStatus.OK, null, started, took, false);
      } catch (RuntimeException e) {
        ReadOnlyTransaction.rollbackQuietly(connection);
        throw e;
      } finally {
        cancellation.unregister(connection);
        if (!reset) {
          SessionReset.beforeReturn(connection, target);
        }
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

  /**
   * Runs {@code work} in a second READ ONLY transaction, on another target, inside an attempt's
   * work (a reference across databases reads both at once): the audit's limits, cancelled with the
   * run, rolled back. It is READ COMMITTED whatever the server's default, so that each of its
   * statements can see a fresh snapshot (the re-check of candidate orphans); a statement's own
   * snapshot (a stream) stays as it started. A failure names the target and keeps its SQLSTATE, so
   * the attempt classifies it like any other (a lost connection is retried, a timeout is one).
   */
  <T> T alongside(Audit audit, String target, DataSource dataSource, Function<DSLContext, T> work) {
    try (Connection connection = dataSource.getConnection()) {
      cancellation.register(connection);
      boolean reset = false;
      try {
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        DSLContext context = begin(audit, Map.of(), connection);
        T value = work.apply(context);
        reset = SessionReset.inTransaction(connection);
        connection.rollback();
        return value;
      } catch (RuntimeException e) {
        ReadOnlyTransaction.rollbackQuietly(connection);
        throw e;
      } finally {
        cancellation.unregister(connection);
        if (!reset) {
          SessionReset.beforeReturn(connection, dataSource);
        }
      }
    } catch (SQLException e) {
      SQLException named =
          new SQLException("target " + target + ": " + e.getMessage(), e.getSQLState());
      named.addSuppressed(e);
      throw new DataAccessException(named.getMessage(), named);
    }
  }

  /** Starts the audit's transaction through the one read-only door, with the audit's limits. */
  static DSLContext begin(Audit audit, Connection connection, boolean formatted)
      throws SQLException {
    // the audit's planner settings (work_mem, max_parallel_workers_per_gather, ...) are validated
    // against an allow-list at load; they end with the transaction like the limits
    DSLContext context = ReadOnlyTransaction.begin(connection, limits(audit, Map.of()));
    return formatted
        ? DSL.using(connection, SQLDialect.POSTGRES, context.settings().withRenderFormatted(true))
        : context;
  }

  private static DSLContext begin(Audit audit, Map<String, String> defaults, Connection connection)
      throws SQLException {
    return ReadOnlyTransaction.begin(connection, limits(audit, defaults));
  }

  /** The audit's limits and settings, over the run's {@code defaults}. */
  private static ReadOnlyTransaction.Limits limits(Audit audit, Map<String, String> defaults) {
    Map<String, String> settings = new LinkedHashMap<>(defaults);
    settings.putAll(audit.execution().settings());
    return new ReadOnlyTransaction.Limits(
        audit.timeout(), audit.lockTimeout(), Optional.of(applicationName(audit)), settings);
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
