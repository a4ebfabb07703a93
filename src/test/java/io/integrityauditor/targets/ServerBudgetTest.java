package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.config.ConnectionBudget;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.support.TestClock;
import io.integrityauditor.support.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The connection budget of a server, shared by every target on it. */
class ServerBudgetTest {

  private static TargetConfig target(String name, String url) {
    return new TargetConfig(
        name, new DatabaseConfig(url, "postgres", Optional.empty(), 4, Duration.ofSeconds(1)), 2);
  }

  @Test
  void a_connection_beyond_the_budget_waits_for_one_to_be_closed() throws Exception {
    TestPostgres.Database a = TestPostgres.newDatabase("budget_a");
    TestPostgres.Database b = TestPostgres.newDatabase("budget_b");
    Map<String, TargetConfig> configs =
        Map.of("a", target("a", a.url()), "b", target("b", b.url()));
    try (Targets targets =
        new Targets(configs, new ConnectionBudget(2, Map.of(), Duration.ofMinutes(1)))) {
      Connection first = targets.dataSource("a").getConnection();
      Connection second = targets.dataSource("b").getConnection();
      CompletableFuture<Connection> third =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return targets.dataSource("a").getConnection();
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              });
      // a third connection to the same server waits while two are open ...
      assertThat(serverOf(targets, "a").inUse()).isEqualTo(2);
      Thread.sleep(300);
      assertThat(third).isNotDone();
      // ... and gets the place of the one closed
      second.close();
      Connection got = third.get(30, TimeUnit.SECONDS);
      assertThat(got.isValid(5)).isTrue();
      assertThat(got.isReadOnly()).isTrue();
      assertThat(got.getAutoCommit()).isFalse();
      assertThat(serverOf(targets, "b").inUse()).isEqualTo(2);
      first.close();
      got.close();
      got.close(); // a second close gives nothing back twice
      // given back, they stay open (idle, in the budget) for their targets a short while
      assertThat(serverOf(targets, "a").inUse()).isEqualTo(2);
      assertThat(serverOf(targets, "a").idle()).isEqualTo(2);
      serverOf(targets, "a").closeIdle(Duration.ZERO);
      assertThat(serverOf(targets, "a").inUse()).isZero();
    }
  }

  @Test
  void an_idle_connection_is_reused_by_its_target_and_closed_for_another_when_the_budget_is_spent()
      throws Exception {
    TestPostgres.Database a = TestPostgres.newDatabase("budget_reuse_a");
    TestPostgres.Database b = TestPostgres.newDatabase("budget_reuse_b");
    Map<String, TargetConfig> configs =
        Map.of("a", target("a", a.url()), "b", target("b", b.url()));
    try (Targets targets =
        new Targets(configs, new ConnectionBudget(1, Map.of(), Duration.ofSeconds(5)))) {
      int firstPid = backendPid(targets, "a");
      assertThat(backendPid(targets, "a")).isEqualTo(firstPid);
      int otherPid = backendPid(targets, "b");
      assertThat(otherPid).isNotEqualTo(firstPid);
      assertThat(
              a.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = " + firstPid)
                  .get(0)
                  .get("n"))
          .isEqualTo(0L);
      assertThat(serverOf(targets, "b").inUse()).isEqualTo(1);
    }
  }

  @Test
  void a_connection_closed_after_use_cannot_be_used_again_through_the_old_handle()
      throws Exception {
    TestPostgres.Database a = TestPostgres.newDatabase("budget_stale");
    try (Targets targets =
        new Targets(
            Map.of("a", target("a", a.url())),
            new ConnectionBudget(1, Map.of(), Duration.ofSeconds(5)))) {
      Connection stale = targets.dataSource("a").getConnection();
      stale.close();
      assertThat(stale.isClosed()).isTrue();
      assertThatThrownBy(stale::createStatement)
          .isInstanceOf(SQLException.class)
          .hasMessage("the connection is closed");
    }
  }

  private static int backendPid(Targets targets, String target) throws SQLException {
    try (Connection connection = targets.dataSource(target).getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      int pid = rows.getInt(1);
      connection.rollback();
      return pid;
    }
  }

  @Test
  void a_connection_that_cannot_get_a_place_within_max_wait_fails_saying_what_to_raise()
      throws Exception {
    TestPostgres.Database a = TestPostgres.newDatabase("budget_wait");
    try (Targets targets =
        new Targets(
            Map.of("a", target("a", a.url())),
            new ConnectionBudget(1, Map.of(), Duration.ofSeconds(1)))) {
      try (Connection held = targets.dataSource("a").getConnection()) {
        String address = "localhost:" + a.server().getPort();
        assertThatThrownBy(() -> targets.dataSource("a").getConnection())
            .isInstanceOf(SQLException.class)
            .hasMessage(
                "no connection to server "
                    + address
                    + " within 1 s: all 1 connections of its budget were in use; raise"
                    + " connection_budget for it, or lower max_concurrent_audits of its targets")
            .extracting(e -> ((SQLException) e).getSQLState())
            .isEqualTo("08001");
      }
    }
  }

  @Test
  void the_budget_of_a_server_listed_by_host_and_port_overrides_the_default() {
    TestPostgres.Database a = TestPostgres.newDatabase("budget_listed");
    String address = "localhost:" + a.server().getPort();
    try (Targets targets =
        new Targets(
            Map.of("a", target("a", a.url())),
            new ConnectionBudget(4, Map.of(address, 7), Duration.ofSeconds(1)))) {
      assertThat(serverOf(targets, "a").budget()).isEqualTo(7);
      assertThat(targets.connectionsAllowed()).isEqualTo(7);
    }
  }

  @Test
  void the_server_of_a_url_is_its_host_and_port_with_the_defaults_filled_in() {
    assertThat(Targets.serverAddress("jdbc:postgresql://db1.internal/app?ssl=true"))
        .isEqualTo("db1.internal:5432");
    assertThat(Targets.serverAddress("jdbc:postgresql://db1:6432/app")).isEqualTo("db1:6432");
    assertThat(Targets.serverAddress("jdbc:postgresql:app")).isEqualTo("localhost:5432");
    assertThat(Targets.serverAddress("jdbc:postgresql://h1:5433,h2/app"))
        .isEqualTo("h1:5433,h2:5432");
  }

  /**
   * A server that accepts TCP connections and never answers (a hung host): without the circuit,
   * each of its 20 targets would wait its own connect timeout.
   */
  @Test
  void a_down_server_is_tried_by_one_connection_at_a_time_and_its_other_targets_fail_at_once()
      throws Exception {
    AtomicInteger accepted = new AtomicInteger();
    List<Socket> sockets = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0)) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Socket socket = silent.accept();
                    synchronized (sockets) {
                      sockets.add(socket);
                    }
                    accepted.incrementAndGet();
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      String url =
          "jdbc:postgresql://localhost:"
              + silent.getLocalPort()
              + "/app?sslmode=disable&gssEncMode=disable";
      Map<String, TargetConfig> configs = new LinkedHashMap<>();
      for (int i = 1; i <= 20; i++) {
        configs.put("t" + i, target("t" + i, url));
      }
      TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
      try (Targets targets =
          new Targets(configs, new ConnectionBudget(4, Map.of(), Duration.ofMinutes(1)), clock)) {
        List<String> first = connectAll(targets, configs.keySet());
        int tried = accepted.get();
        assertThat(tried).isBetween(1, 4); // never more attempts than the budget
        assertThat(first).hasSize(20);
        assertThat(first.stream().filter(m -> m.contains("is unreachable")).count())
            .isEqualTo(20 - tried);
        assertThat(first.stream().filter(m -> m.equals("Connection attempt timed out.")).count())
            .isEqualTo(tried);

        // before the retry time, nobody tries again
        assertThat(connectAll(targets, configs.keySet()))
            .allSatisfy(m -> assertThat(m).contains("is unreachable"));
        assertThat(accepted.get()).isEqualTo(tried);

        // once it has come, exactly one connection tries again
        clock.advance(Server.RETRY_AFTER);
        List<String> second = connectAll(targets, configs.keySet());
        assertThat(accepted.get()).isEqualTo(tried + 1);
        assertThat(second.stream().filter(m -> m.contains("is unreachable")).count()).isEqualTo(19);
      }
    } finally {
      synchronized (sockets) {
        for (Socket socket : sockets) {
          socket.close();
        }
      }
    }
  }

  /** Asks every target for a connection at once; the failure message of each. */
  private static List<String> connectAll(Targets targets, Iterable<String> names) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(20);
    try {
      List<Future<String>> attempts = new ArrayList<>();
      for (String name : names) {
        attempts.add(
            threads.submit(
                () -> {
                  try (Connection connection = targets.dataSource(name).getConnection()) {
                    return "connected";
                  } catch (SQLException e) {
                    return e.getMessage();
                  }
                }));
      }
      List<String> messages = new ArrayList<>();
      for (Future<String> attempt : attempts) {
        messages.add(attempt.get(2, TimeUnit.MINUTES));
      }
      return messages;
    } finally {
      threads.shutdownNow();
    }
  }

  private static Server serverOf(Targets targets, String target) {
    return ((TargetConnections) targets.dataSource(target)).server();
  }
}
