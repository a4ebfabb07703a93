package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditQuery;
import io.integrityauditor.audit.Measurement;
import io.integrityauditor.config.RetryPolicy;
import io.integrityauditor.db.Pools;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
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

  /** Client-side safety net beyond the server's statement_timeout (a hung network, say). */
  private static final Duration CLIENT_GRACE = Duration.ofSeconds(30);

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
    for (int attempt = 1; ; attempt++) {
      Attempt outcome = attempt(audit, query, target);
      AuditResult result = outcome.result();
      if (result.status().completed() || !outcome.retryable() || cancellation.isCancelled()) {
        return result;
      }
      if (attempt >= retry.attempts()) {
        RunError error = result.error().orElseThrow();
        return AuditResult.failed(
            audit,
            result.status(),
            new RunError(
                error.errorClass(),
                "inconclusive after "
                    + attempt
                    + " attempt"
                    + (attempt == 1 ? "" : "s")
                    + ": "
                    + error.message()),
            result.startedAt(),
            result.duration());
      }
      Duration pause = retry.backoffBefore(attempt + 1);
      LOG.warn(
          "audit {} attempt {} failed ({}); retrying in {} ms",
          audit.id(),
          attempt,
          result.error().orElseThrow().errorClass(),
          pause.toMillis());
      if (!cancellation.pause(pause)) {
        return result;
      }
    }
  }

  /** One attempt, and whether its failure is worth retrying. */
  private record Attempt(AuditResult result, boolean retryable) {}

  private Attempt attempt(Audit audit, AuditQuery query, DataSource target) {
    Instant started = clock.instant();
    long startNanos = System.nanoTime();
    if (cancellation.isCancelled()) {
      return new Attempt(interrupted(audit, started), false);
    }
    try (Connection connection = target.getConnection()) {
      cancellation.register(connection);
      try {
        Measurement measurement = execute(audit, query, connection);
        connection.rollback();
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        LOG.info(
            "audit {} on {}: {} violations in {} rows checked ({} ms)",
            audit.id(),
            audit.target(),
            measurement.violations(),
            measurement.rowsChecked(),
            took.toMillis());
        return new Attempt(AuditResult.completed(audit, measurement, started, took), false);
      } catch (RuntimeException e) {
        rollbackQuietly(connection);
        throw e;
      } finally {
        cancellation.unregister(connection);
      }
    } catch (Exception e) {
      Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
      ErrorClassifier.Classified classified =
          ErrorClassifier.classify(e, cancellation.isCancelled(), query.relations());
      LOG.warn(
          "audit {} on {} did not complete: {} ({})",
          audit.id(),
          audit.target(),
          classified.status().label(),
          classified.error().message());
      return new Attempt(
          AuditResult.failed(audit, classified.status(), classified.error(), started, took),
          classified.retryable());
    }
  }

  private Measurement execute(Audit audit, AuditQuery query, Connection connection)
      throws java.sql.SQLException {
    return query.execute(begin(audit, connection, false));
  }

  /** One statement of an audit and PostgreSQL's plan for it. */
  public record Explained(String sql, List<String> plan) {}

  /** The statements of an audit with their plans, or why they could not be explained. */
  public record Explanation(List<Explained> statements, Optional<RunError> error) {}

  /**
   * Prints what the audit would run: its SQL (formatted, bind values inlined) and PostgreSQL's
   * {@code EXPLAIN} of each statement, in the same READ ONLY transaction with the same timeouts as
   * a run. {@code analyze} runs the statements ({@code EXPLAIN (ANALYZE, BUFFERS)}) — still
   * read-only and rolled back.
   */
  public Explanation explain(Audit audit, AuditQuery query, DataSource target, boolean analyze) {
    List<Explained> explained = new ArrayList<>();
    try (Connection connection = target.getConnection()) {
      try {
        DSLContext context = begin(audit, connection, true);
        for (String sql : query.sql(context)) {
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
        return new Explanation(explained, Optional.empty());
      } finally {
        rollbackQuietly(connection);
      }
    } catch (Exception e) {
      ErrorClassifier.Classified classified = ErrorClassifier.classify(e, false, query.relations());
      return new Explanation(explained, Optional.of(classified.error()));
    }
  }

  /** Starts the audit's transaction: READ ONLY, its timeouts and application name. */
  private DSLContext begin(Audit audit, Connection connection, boolean formatted)
      throws java.sql.SQLException {
    connection.setAutoCommit(false);
    DSLContext context = context(connection, audit.timeout().plus(CLIENT_GRACE));
    context.execute("SET TRANSACTION READ ONLY");
    // set_config(..., true) is SET LOCAL: it ends with the transaction, so a pooled session never
    // carries one audit's limits into the next.
    context
        .select(
            setLocal("statement_timeout", audit.timeout().toMillis() + "ms"),
            setLocal("lock_timeout", audit.lockTimeout().toMillis() + "ms"),
            setLocal(
                "idle_in_transaction_session_timeout",
                audit.timeout().plus(CLIENT_GRACE).toMillis() + "ms"),
            setLocal("application_name", applicationName(audit)))
        .fetch();
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

  /** A jOOQ context on one connection, with a client-side timeout backstop. */
  public static DSLContext context(Connection connection, Duration clientTimeout) {
    Settings settings =
        new Settings()
            .withQueryTimeout((int) Math.min(Integer.MAX_VALUE, clientTimeout.toSeconds()))
            .withExecuteLogging(false);
    return DSL.using(connection, SQLDialect.POSTGRES, settings);
  }

  private static org.jooq.Field<String> setLocal(String name, String value) {
    return DSL.function(
        "set_config", String.class, DSL.val(name), DSL.val(value), DSL.inline(true));
  }

  /** {@code integrity-auditor:<audit id>}, cut to PostgreSQL's 63-byte limit. */
  static String applicationName(Audit audit) {
    String name = Pools.APPLICATION_NAME + ":" + audit.id();
    return name.length() <= 63 ? name : name.substring(0, 63);
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (java.sql.SQLException ignored) {
      // the connection is broken; the pool discards it
    }
  }
}
