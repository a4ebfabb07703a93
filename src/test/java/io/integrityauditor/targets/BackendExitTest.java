package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * A closed connection has left the server: its backend is gone from {@code pg_stat_activity} when
 * {@code close()} returns, so the budget place freed next (which another node may take at once)
 * never overlaps the old session on the server.
 */
class BackendExitTest {

  @Test
  void a_closed_connections_backend_is_gone_from_the_server_when_close_returns() throws Exception {
    TestPostgres.Database database = TestPostgres.newDatabase("backend_exit");
    DatabaseConfig config =
        new DatabaseConfig(database.url(), "postgres", Optional.empty(), 4, Duration.ofSeconds(5));
    List<Integer> stillListed = new ArrayList<>();
    try (Connection observer = database.dataSource().getConnection();
        PreparedStatement listed =
            observer.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ?")) {
      for (int i = 0; i < 200; i++) {
        Connection connection = Pools.connectReadOnly(config);
        int pid = connection.unwrap(PGConnection.class).getBackendPID();
        connection.close();
        listed.setInt(1, pid);
        try (ResultSet rows = listed.executeQuery()) {
          rows.next();
          if (rows.getInt(1) > 0) {
            stillListed.add(pid);
          }
        }
      }
    }
    assertThat(stillListed).as("backends still listed right after close()").isEmpty();
  }
}
