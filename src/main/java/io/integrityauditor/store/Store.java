package io.integrityauditor.store;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.targets.Pools;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.LoggerFactory;

/** The store database: its pool, its migrations, and a jOOQ context on it. */
public final class Store implements AutoCloseable {
  public static final String SCHEMA = "integrity_auditor";

  /** Serialises migrations of nodes that start together (pg_advisory_lock key). */
  private static final long MIGRATION_LOCK = 0x1A7E_6A11_D170_0001L;

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
  static final int LATEST_VERSION = 14;

  /**
   * How many migrations ship (versions are reserved ahead, so a lower one may ship after a higher
   * one: V13 after V14); a store with fewer applied is not current, and Flyway applies the missing
   * ones out of order.
   */
  static final int MIGRATIONS = 12;

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
    // The lock is held on a connection of its own, outside the pool that Flyway works with.
    try (Connection lock = Pools.connect(config)) {
      try (PreparedStatement statement = lock.prepareStatement("SELECT pg_advisory_lock(?)")) {
        statement.setLong(1, MIGRATION_LOCK);
        statement.execute();
      }
      try {
        long started = System.nanoTime();
        var result =
            Flyway.configure(Store.class.getClassLoader())
                .dataSource(dataSource)
                .schemas(SCHEMA)
                .createSchemas(true)
                .locations("classpath:db/migration")
                .outOfOrder(true)
                .load()
                .migrate();
        LoggerFactory.getLogger(Store.class)
            .info(
                "store schema {} at version {} ({} migrations applied, {} ms)",
                SCHEMA,
                result.targetSchemaVersion,
                result.migrationsExecuted,
                (System.nanoTime() - started) / 1_000_000);
      } finally {
        try (PreparedStatement statement = lock.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          statement.setLong(1, MIGRATION_LOCK);
          statement.execute();
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot migrate the store: " + e.getMessage(), e);
    }
  }

  /** Whether every shipped migration has been applied successfully (and none newer exists). */
  private boolean current() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT max(version::int) FILTER (WHERE success), bool_and(success),"
                    + " count(*) FILTER (WHERE success)"
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
