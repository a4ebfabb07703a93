package io.integrityauditor.store;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.targets.Pools;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.LoggerFactory;

/** The store database: its pool, its migrations, and a jOOQ context on it. */
public final class Store implements AutoCloseable {
  public static final String SCHEMA = "integrity_auditor";

  /**
   * Work that nodes starting (or reloading) together must do one after another, each seeing what
   * the one before wrote: held as a session advisory lock of the store, so a node that dies
   * releases it.
   */
  public enum OneNodeAtATime {
    /** Creating or upgrading the store's schema. */
    MIGRATION(0x1A7E_6A11_D170_0001L),
    /**
     * Comparing the audit files with the Quartz jobs and writing the differences: two nodes that
     * read "new" at once would both write the job and its first run, and the second write,
     * replacing a first run that had already fired, would run the audit again.
     */
    JOB_RECONCILIATION(0x1A7E_6A11_D170_0002L);

    private final long lockKey;

    OneNodeAtATime(long lockKey) {
      this.lockKey = lockKey;
    }
  }

  private final DatabaseConfig config;
  private final HikariDataSource dataSource;
  private final DSLContext dsl;

  private Store(DatabaseConfig config, HikariDataSource dataSource) {
    this.config = config;
    this.dataSource = dataSource;
    this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES);
  }

  public static Store open(DatabaseConfig config) {
    return new Store(config, Pools.create("store", config, false));
  }

  /**
   * The highest migration shipped ({@code db/migration/V<n>__*.sql}); a test keeps it in step with
   * the files.
   */
  static final int LATEST_VERSION = 20;

  /**
   * How many migrations ship (versions are reserved ahead, so a lower one may ship after a higher
   * one: V13 after V14); a store with fewer applied is not current, and Flyway applies the missing
   * ones out of order.
   */
  static final int MIGRATIONS = 17;

  /**
   * Applies pending migrations; a no-op when the schema is current. Holds an advisory lock so that
   * several nodes starting on an empty database do not race to create the schema.
   *
   * <p>A store already at {@link #LATEST_VERSION} is recognised with one query, without starting
   * Flyway: Flyway scans the classpath and loads its plugins, about a second of every start-up (and
   * of every CLI command) for nothing.
   */
  public void migrate() {
    if (current()) {
      return;
    }
    exclusively(
        OneNodeAtATime.MIGRATION,
        () -> {
          long started = System.nanoTime();
          var result = flyway(dataSource).migrate();
          // Flyway's target version is null when it applied nothing: a node that waited for
          // another node's migration would log "at version null"
          String version =
              result.targetSchemaVersion != null
                  ? result.targetSchemaVersion
                  : result.initialSchemaVersion + " already (migrated by another node)";
          LoggerFactory.getLogger(Store.class)
              .info(
                  "store schema {} at version {} ({} migrations applied, {} ms)",
                  SCHEMA,
                  version,
                  result.migrationsExecuted,
                  (System.nanoTime() - started) / 1_000_000);
          return null;
        });
  }

  /**
   * Flyway as the store uses it: the shipped migrations, applied out of order (versions are
   * reserved ahead), all pending ones in one transaction; an empty store gets the baseline of V1 to
   * V10 ({@link B10__Store_up_to_v10}) and the migrations after it, not each of the ten.
   */
  static Flyway flyway(DataSource dataSource) {
    return Flyway.configure(Store.class.getClassLoader())
        .dataSource(dataSource)
        .schemas(SCHEMA)
        .createSchemas(true)
        .locations("classpath:db/migration")
        .javaMigrations(new B10__Store_up_to_v10())
        .outOfOrder(true)
        .group(true)
        .load();
  }

  /**
   * Runs {@code work} while no other node runs work of the same {@code kind}: waits for the node
   * that holds it. The lock is held on a connection of its own, outside the pool that the work
   * uses.
   */
  public <T> T exclusively(OneNodeAtATime kind, Supplier<T> work) {
    try (Connection lock = Pools.connect(config)) {
      try (PreparedStatement statement = lock.prepareStatement("SELECT pg_advisory_lock(?)")) {
        statement.setLong(1, kind.lockKey);
        statement.execute();
      }
      try {
        return work.get();
      } finally {
        try (PreparedStatement statement = lock.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          statement.setLong(1, kind.lockKey);
          statement.execute();
        }
      }
    } catch (SQLException e) {
      throw new StoreException(
          "cannot take the store's "
              + kind.name().toLowerCase(Locale.ROOT).replace('_', ' ')
              + " lock: "
              + e.getMessage()
              + " (is the store reachable?)",
          e);
    }
  }

  /**
   * Whether every shipped migration has been applied successfully, itself or through the baseline
   * (and none newer exists).
   */
  private boolean current() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                // a baseline (B10) stands for the versioned migrations up to its version, V1 to
                // V10 (all shipped: none below it is missing)
                "SELECT max(version::int) FILTER (WHERE success), bool_and(success),"
                    + " count(*) FILTER (WHERE success AND type <> 'JDBC_BASELINE')"
                    + " + coalesce(max(version::int) FILTER (WHERE success AND type ="
                    + " 'JDBC_BASELINE'), 0)"
                    + " FROM "
                    + SCHEMA
                    + ".flyway_schema_history WHERE version IS NOT NULL");
        ResultSet rows = statement.executeQuery()) {
      return rows.next()
          && rows.getInt(1) == LATEST_VERSION
          && rows.getBoolean(2)
          && rows.getInt(3) == MIGRATIONS;
    } catch (SQLException | RuntimeException e) {
      return false; // no schema yet, or unreadable: let Flyway decide
    }
  }

  public DSLContext dsl() {
    return dsl;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
