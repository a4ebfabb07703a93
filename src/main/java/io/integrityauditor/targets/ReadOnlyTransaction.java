package io.integrityauditor.targets;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * The one door to an audited database: every touch of a target (audit runs, explain, catalog reads,
 * result descriptions, role checks, suggest's evidence) happens in a transaction opened here: READ
 * ONLY, with statement, lock and idle-in-transaction timeouts and an application name, and always
 * rolled back. db-scheduler's {@code TransactionManager.inTransaction} is the model.
 */
public final class ReadOnlyTransaction {
  /** Beyond the server's statement_timeout: the client's own backstop (a hung network, say). */
  public static final Duration CLIENT_GRACE = Duration.ofSeconds(30);

  /** See {@link #rowsThroughGatherCost}. */
  private static final double GATHER_ROW_COST = 0.01;

  /** Servers (by URL) that refused {@code client_connection_check_interval}. */
  private static final Set<String> NO_CHECK_INTERVAL = ConcurrentHashMap.newKeySet();

  /** Unknown setting (before 14), or a value the platform cannot honour. */
  private static final Set<String> CHECK_INTERVAL_REFUSED = Set.of("42704", "22023");

  private ReadOnlyTransaction() {}

  /**
   * The limits of one transaction.
   *
   * @param applicationName what {@code pg_stat_activity} shows; empty keeps the pool's name
   * @param settings further {@code SET LOCAL}s (an audit's planner settings, validated at load)
   */
  public record Limits(
      Duration statementTimeout,
      Duration lockTimeout,
      Optional<String> applicationName,
      Map<String, String> settings) {
    public Limits {
      settings = Map.copyOf(new LinkedHashMap<>(settings));
    }

    /** Limits for the worker's own short reads of a target (catalog, role, result columns). */
    public static Limits brief(Duration statementTimeout) {
      return new Limits(statementTimeout, Duration.ofSeconds(5), Optional.empty(), Map.of());
    }

    /** The idle-in-transaction timeout: a stuck worker cannot hold a snapshot for long. */
    public Duration idleTimeout() {
      return statementTimeout.plus(CLIENT_GRACE);
    }
  }

  /** Work inside the transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(DSLContext context) throws SQLException;
  }

  /**
   * Runs {@code work} in a READ ONLY transaction with the limits on {@code connection}, then rolls
   * back: nothing is ever written.
   */
  public static <T> T run(Connection connection, Limits limits, Work<T> work) throws SQLException {
    try {
      return work.run(begin(connection, limits));
    } finally {
      rollbackQuietly(connection);
    }
  }

  /**
   * Opens the transaction on {@code connection} and returns a jOOQ context on it with the client
   * backstop timeout; the caller must roll back (see {@link #rollbackQuietly}).
   */
  public static DSLContext begin(Connection connection, Limits limits) throws SQLException {
    connection.setAutoCommit(false);
    DSLContext context = context(connection, limits.statementTimeout().plus(CLIENT_GRACE));
    String server = connection.getMetaData().getURL();
    boolean checkInterval = watchesConnection(connection, server);
    try {
      context.select(settings(limits, checkInterval)).fetch();
    } catch (DataAccessException e) {
      if (!checkInterval || !CHECK_INTERVAL_REFUSED.contains(e.sqlState())) {
        throw e;
      }
      // this server cannot watch a client's socket after all (see watchesConnection): remembered,
      // and the transaction starts again without it
      NO_CHECK_INTERVAL.add(server);
      connection.rollback();
      context.select(settings(limits, false)).fetch();
    }
    return context;
  }

  /**
   * The transaction's settings, all in one statement (one round trip: a run's fixed cost is mostly
   * round trips, docs/performance.md). {@code set_config(..., true)} is SET LOCAL: it ends with the
   * transaction, so a pooled session never carries one transaction's limits into the next. {@code
   * transaction_read_only} is what {@code SET TRANSACTION READ ONLY} sets; turning it on is allowed
   * at any point of a transaction, and it is on before any statement of the work runs.
   */
  private static List<Field<String>> settings(Limits limits, boolean checkInterval) {
    List<Field<String>> settings = new ArrayList<>();
    settings.add(setLocal("transaction_read_only", "on"));
    settings.add(setLocal("statement_timeout", limits.statementTimeout().toMillis() + "ms"));
    settings.add(setLocal("lock_timeout", limits.lockTimeout().toMillis() + "ms"));
    settings.add(
        setLocal("idle_in_transaction_session_timeout", limits.idleTimeout().toMillis() + "ms"));
    limits.applicationName().ifPresent(name -> settings.add(setLocal("application_name", name)));
    settings.add(rowsThroughGatherCost());
    // an audit's own settings come after the defaults above: an audit that names one wins
    limits.settings().forEach((name, value) -> settings.add(setLocal(name, value)));
    if (checkInterval) {
      // A node killed mid-query closes its sockets: with this the server notices within a second
      // and ends the query, instead of running it to the end next to the peer that re-runs the
      // audit.
      settings.add(setLocal("client_connection_check_interval", "1s"));
    }
    return settings;
  }

  /**
   * Whether the server can be asked to watch the client's socket: PostgreSQL 14 and later know
   * {@code client_connection_check_interval} (the version comes with the session, no round trip),
   * but on platforms that cannot watch a socket (Windows) it must stay 0 (22023); such a server is
   * remembered the first time it refuses, and its transactions run without it.
   */
  private static boolean watchesConnection(Connection connection, String server)
      throws SQLException {
    return connection.getMetaData().getDatabaseMajorVersion() >= 14
        && !NO_CHECK_INTERVAL.contains(server);
  }

  /**
   * As {@link #begin}, REPEATABLE READ: every statement of the transaction sees the snapshot of its
   * first, for work that reads a table in several statements and needs it in one state (a scan
   * across databases reads the child's keys, then the rows of the violating ones). Read-only
   * transactions never fail to serialize, so this costs no retries.
   */
  public static DSLContext beginRepeatableRead(Connection connection, Limits limits)
      throws SQLException {
    connection.setAutoCommit(false);
    // the isolation must be set before the transaction's first snapshot (begin's settings take one)
    try (Statement statement = connection.createStatement()) {
      statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    }
    return begin(connection, limits);
  }

  /** A jOOQ context on one connection, with a client-side timeout backstop. */
  public static DSLContext context(Connection connection, Duration clientTimeout) {
    Settings settings =
        new Settings()
            .withQueryTimeout((int) Math.min(Integer.MAX_VALUE, clientTimeout.toSeconds()))
            .withExecuteLogging(false);
    return DSL.using(connection, SQLDialect.POSTGRES, settings);
  }

  /**
   * A failed statement may leave the connection broken (HikariCP evicts it on some SQLSTATEs): the
   * original error is the one worth reporting, not the failed rollback.
   */
  public static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // the pool discards a broken connection
    }
  }

  /**
   * {@code parallel_tuple_cost} at most {@value #GATHER_ROW_COST}, never raised. A row passed from
   * a parallel worker through a {@code Gather} costs about what processing a row costs ({@code
   * cpu_tuple_cost}, 0.01): a million violating rows took about 0.1 s more than none
   * (docs/performance.md). PostgreSQL's default of 0.1 prices it ten times higher, and when the
   * table's statistics estimate many violating rows (they move from one {@code ANALYZE} sample to
   * the next) the planner ran a full run's anti-join without workers, 4.1-4.9 s instead of 3.1-3.5
   * s at 1,000,000 violating rows: the benchmark's "slow 10% runs", found in its server log.
   */
  private static Field<String> rowsThroughGatherCost() {
    return DSL.function(
        "set_config",
        String.class,
        DSL.inline("parallel_tuple_cost"),
        DSL.field(
            "least(current_setting('parallel_tuple_cost')::float8, {0})::text",
            String.class, DSL.inline(GATHER_ROW_COST)),
        DSL.inline(true));
  }

  private static Field<String> setLocal(String name, String value) {
    return DSL.function(
        "set_config", String.class, DSL.val(name), DSL.val(value), DSL.inline(true));
  }
}
