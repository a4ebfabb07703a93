package io.integrityauditor.targets;

import io.integrityauditor.config.DatabaseConfig;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The connections to one audited database, within its server's budget (see {@link Server}), at most
 * {@code pool_size} in use at once.
 */
final class TargetConnections implements DataSource {
  private final String target;
  private final DatabaseConfig database;
  private final Server server;
  private final Semaphore permits;
  private final Duration wait;
  private final String sessionKey;
  private final Optional<String> searchPath;

  TargetConnections(String target, DatabaseConfig database, Server server, Duration wait) {
    this(target, database, server, wait, target, Optional.empty());
  }

  /**
   * @param sessionKey the targets whose idle connections this one may reuse share it
   * @param searchPath set on a reused connection: the members of a schema-per-tenant template share
   *     their idle connections (one database, one role), each with its own schema as search path (a
   *     new connection has it from its URL)
   */
  TargetConnections(
      String target,
      DatabaseConfig database,
      Server server,
      Duration wait,
      String sessionKey,
      Optional<String> searchPath) {
    this.target = target;
    this.database = database;
    this.server = server;
    this.permits = new Semaphore(database.poolSize(), true);
    this.wait = wait;
    this.sessionKey = sessionKey;
    this.searchPath = searchPath;
  }

  Server server() {
    return server;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Server.acquire(
        permits,
        wait,
        "target " + target,
        "its " + database.poolSize() + " connections (pool_size) were in use");
    try {
      Connection connection =
          server.open(
              sessionKey,
              () -> Pools.connectReadOnly(database),
              searchPath
                  .<Server.Reuse>map(path -> physical -> Pools.searchPath(physical, path))
                  .orElse(Server.Reuse.AS_IS));
      return Server.onClose(
          connection,
          () -> {
            try {
              connection.close();
            } finally {
              permits.release();
            }
          });
    } catch (SQLException | RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("targets connect with their configured role");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    // the driver logs through java.util.logging
  }

  @Override
  public void setLoginTimeout(int seconds) {
    // connect_timeout of the target's configuration
  }

  @Override
  public int getLoginTimeout() {
    return (int) database.connectTimeout().toSeconds();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) {
      return type.cast(this);
    }
    throw new SQLException("not a wrapper of " + type.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }
}
