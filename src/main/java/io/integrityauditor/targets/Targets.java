package io.integrityauditor.targets;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.audit.ResultDescriber;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.catalog.RoleAccess;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.targets.ReadOnlyTransaction.Limits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** One read-only connection pool per audited database. */
public final class Targets implements AutoCloseable {
  private final Map<String, TargetConfig> configs;
  private final Map<String, HikariDataSource> pools = new LinkedHashMap<>();

  public Targets(Map<String, TargetConfig> configs) {
    this.configs = Map.copyOf(configs);
  }

  public synchronized DataSource dataSource(String target) {
    return pools.computeIfAbsent(
        target,
        name -> {
          TargetConfig config = configs.get(name);
          if (config == null) {
            throw new IllegalArgumentException("unknown target " + name);
          }
          return Pools.create("target-" + name, config.database(), true);
        });
  }

  public Collection<TargetConfig> configs() {
    return configs.values();
  }

  /** Reads the target's catalog in a read-only transaction. */
  public Catalog catalog(String target) throws SQLException {
    try (Connection connection = dataSource(target).getConnection()) {
      return ReadOnlyTransaction.run(
          connection,
          Limits.brief(Duration.ofSeconds(60)),
          context -> CatalogReader.read(connection));
    }
  }

  /**
   * Describes a query's result columns on the target: the server parses and plans it (Parse and
   * Describe messages), no row is fetched and nothing executes, in a read-only transaction with
   * timeouts like the catalog read.
   */
  public ResultDescriber describer(String target) {
    return sql -> {
      try (Connection connection = dataSource(target).getConnection()) {
        return ReadOnlyTransaction.run(
            connection,
            Limits.brief(Duration.ofSeconds(30)),
            context -> {
              try (PreparedStatement statement = connection.prepareStatement(sql)) {
                ResultSetMetaData metaData = statement.getMetaData();
                List<String> columns = new ArrayList<>();
                for (int i = 1; metaData != null && i <= metaData.getColumnCount(); i++) {
                  columns.add(metaData.getColumnLabel(i));
                }
                return columns;
              }
            });
      }
    };
  }

  /** What the configured role could do on the target (read in a read-only transaction). */
  public RoleAccess roleAccess(String target) throws SQLException {
    try (Connection connection = dataSource(target).getConnection()) {
      return ReadOnlyTransaction.run(
          connection, Limits.brief(Duration.ofSeconds(30)), context -> RoleAccess.read(connection));
    }
  }

  @Override
  public synchronized void close() {
    pools.values().forEach(HikariDataSource::close);
    pools.clear();
  }
}
