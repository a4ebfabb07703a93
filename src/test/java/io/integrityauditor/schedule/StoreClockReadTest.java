package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's reading of the store's clock (at start and at every check-in) is bounded: a store
 * that stops answering makes it fail, not wait for ever. The store's server process serving the
 * connection is frozen with SIGSTOP (the rest of the shared test server runs on).
 */
class StoreClockReadTest {
  private static long backendPid(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    new ProcessBuilder("kill", signal, String.valueOf(pid)).inheritIO().start().waitFor();
  }

  @Test
  void reading_the_clock_of_a_store_that_stopped_answering_fails_within_its_bound()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("clock_read");
    try (Connection connection = store.dataSource().getConnection()) {
      long answered = StoreClockDelegate.storeMillis(connection);
      assertThat(answered)
          .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
      assertThat(connection.getNetworkTimeout()).as("restored after the reading").isZero();

      long pid = backendPid(connection);
      signal("-STOP", pid);
      try {
        long start = System.nanoTime();
        // unbounded, the reading waited as long as the store stayed frozen: here, until the cap
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () ->
                assertThatThrownBy(
                        () -> StoreClockDelegate.storeMillis(connection, Duration.ofSeconds(2)))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("I/O error"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertThat(connection.isClosed()).as("a connection that timed out is not reused").isTrue();
      } finally {
        signal("-CONT", pid);
      }
    }
    assertThat(StoreClockDelegate.CLOCK_READ_TIMEOUT).isLessThan(Duration.ofMillis(7500));
  }
}
