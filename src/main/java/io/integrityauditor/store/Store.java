package io.integrityauditor.store;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.db.Pools;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

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
   * Applies pending migrations; a no-op when the schema is current. Holds an advisory lock so that
   * several nodes starting on an empty database do not race to create the schema.
   */
  public void migrate() {
    // The lock is held on a connection of its own, outside the pool that Flyway works with.
    try (Connection lock = Pools.connect(config)) {
      try (PreparedStatement statement = lock.prepareStatement("SELECT pg_advisory_lock(?)")) {
        statement.setLong(1, MIGRATION_LOCK);
        statement.execute();
      }
      try {
        Flyway.configure(Store.class.getClassLoader())
            .dataSource(dataSource)
            .schemas(SCHEMA)
            .createSchemas(true)
            .locations("classpath:db/migration")
            .load()
            .migrate();
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
