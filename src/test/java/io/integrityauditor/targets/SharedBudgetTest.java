package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.config.ConnectionBudget;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.ClusterBudget;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.RestartablePostgres;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The budget of a server shared through the store by several processes ({@link ClusterBudget}):
 * each {@link Targets} here has a store session of its own, as each node of a cluster has.
 */
class SharedBudgetTest {
  /** Counts our sessions on the targets' server. */
  private static final String OURS_ON_TARGETS_SERVER =
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
          + Pools.APPLICATION_NAME
          + "'";

  @TempDir Path dir;

  private static TargetConfig target(String name, String url) {
    return new TargetConfig(
        name, new DatabaseConfig(url, "postgres", Optional.empty(), 4, Duration.ofSeconds(5)), 4);
  }

  /** A store database, migrated as every node's is before it shares a budget. */
  private static DatabaseConfig store(String url) {
    DatabaseConfig store =
        new DatabaseConfig(url, "postgres", Optional.empty(), 5, Duration.ofSeconds(5));
    try (Store opened = Store.open(store)) {
      opened.migrate();
    }
    return store;
  }

  /** Targets on their own server, so that counting its sessions counts only theirs. */
  private static Map<String, TargetConfig> fleet(String prefix, int databases) {
    Map<String, TargetConfig> configs = new LinkedHashMap<>();
    for (int i = 1; i <= databases; i++) {
      configs.put("t" + i, target("t" + i, TestPostgres.newDatabaseOnOtherServer(prefix).url()));
    }
    return configs;
  }

  private static Targets node(
      Map<String, TargetConfig> configs, int budget, Duration wait, DatabaseConfig store) {
    return new Targets(
        configs, new ConnectionBudget(budget, Map.of(), wait), new ClusterBudget(store));
  }

  /** Our sessions on the targets' server now. */
  private static int openOnTargetsServer() throws SQLException {
    try (Connection connection = TestPostgres.otherServer().getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(OURS_ON_TARGETS_SERVER)) {
      rows.next();
      return rows.getInt(1);
    }
  }

  private static Connection connect(Targets targets, String target) {
    try {
      return targets.dataSource(target).getConnection();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Server serverOf(Targets targets, String target) {
    return ((TargetConnections) targets.dataSource(target)).server();
  }

  @Test
  void a_second_node_waits_while_the_first_holds_the_whole_budget_and_gets_the_place_it_frees()
      throws Exception {
    DatabaseConfig store = store(TestPostgres.newDatabase("budget_store").url());
    Map<String, TargetConfig> configs = fleet("shared_wait", 3);
    try (Targets one = node(configs, 2, Duration.ofMinutes(1), store);
        Targets two = node(configs, 2, Duration.ofMinutes(1), store)) {
      Connection first = connect(one, "t1");
      Connection second = connect(one, "t2");
      CompletableFuture<Connection> third = CompletableFuture.supplyAsync(() -> connect(two, "t3"));
      Thread.sleep(500);
      assertThat(third).as("a third connection while the budget of 2 is held").isNotDone();
      assertThat(openOnTargetsServer()).isEqualTo(2);
      // given back, a connection stays idle a short while only when nobody waits for its place
      second.close();
      Connection got = third.get(30, TimeUnit.SECONDS);
      assertThat(got.isValid(5)).isTrue();
      assertThat(openOnTargetsServer()).isEqualTo(2);
      assertThat(serverOf(one, "t2").idle()).isZero();
      first.close();
      got.close();
    }
  }

  @Test
  void an_idle_connection_of_one_node_is_closed_for_another_node_that_waits_for_its_place()
      throws Exception {
    DatabaseConfig store = store(TestPostgres.newDatabase("budget_store").url());
    Map<String, TargetConfig> configs = fleet("shared_idle", 2);
    try (Targets one = node(configs, 1, Duration.ofMinutes(1), store);
        Targets two = node(configs, 1, Duration.ofMinutes(1), store)) {
      connect(one, "t1").close();
      assertThat(serverOf(one, "t1").idle()).isEqualTo(1);
      // kept for up to 10 s for t1, unless another node waits: then closed within a second or so
      try (Connection other = connect(two, "t2")) {
        assertThat(other.isValid(5)).isTrue();
        assertThat(serverOf(one, "t1").idle()).isZero();
        assertThat(openOnTargetsServer()).isEqualTo(1);
      }
    }
  }

  @Test
  void a_connection_without_a_place_within_max_wait_fails_saying_the_nodes_hold_the_budget()
      throws Exception {
    DatabaseConfig store = store(TestPostgres.newDatabase("budget_store").url());
    Map<String, TargetConfig> configs = fleet("shared_timeout", 2);
    try (Targets one = node(configs, 1, Duration.ofMinutes(1), store);
        Targets two = node(configs, 1, Duration.ofSeconds(2), store);
        Connection held = connect(one, "t1")) {
      String address = Targets.serverAddress(configs.get("t2").database().url());
      assertThatThrownBy(() -> two.dataSource("t2").getConnection())
          .isInstanceOf(SQLException.class)
          .hasMessage(
              "no connection to server "
                  + address
                  + " within 2 s: all 1 connections of its budget were in use by the nodes"
                  + " sharing it; raise connection_budget for it, or lower max_concurrent_audits"
                  + " of its targets")
          .extracting(e -> ((SQLException) e).getSQLState())
          .isEqualTo("08001");
      assertThat(held.isValid(5)).isTrue();
    }
  }

  /**
   * A run that finds no place of the cluster's budget within {@code max_wait} (another node holds
   * it): recorded as a connection error after its attempts, never as clean.
   */
  @Test
  void a_run_that_gets_no_place_in_the_clusters_budget_is_an_error_never_clean() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabaseOnOtherServer("shared_run");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent VALUES (1);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child VALUES (1, 1), (2, 99);
        """);
    TestPostgres.Database storeDatabase = TestPostgres.newDatabase("budget_store");
    AuditResult result =
        Audits.withBinding(
            dir,
            target,
            storeDatabase,
            "audits:\n  - {id: child.parent, kind: orphan, child: child.parent_id, parent: parent.id}\n",
            "connection_budget: {per_server: 1, max_wait: 2s}\n"
                + "retry: {attempts: 2, initial_backoff: 100ms}\n",
            (auditor, binding, audits) -> {
              // another node takes the only place (this node's idle catalog connection gives it up)
              try (Targets other =
                      node(
                          Map.of("other", target("other", target.url())),
                          1,
                          Duration.ofMinutes(1),
                          store(storeDatabase.url()));
                  Connection held = connect(other, "other")) {
                return auditor.runAll(binding, audits, RunTrigger.CHECK).get(0);
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(result.status()).isEqualTo(RunStatus.ERROR);
    assertThat(result.measurement()).isEmpty();
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(result.error().orElseThrow().errorClass()).isEqualTo("connection");
    assertThat(result.error().orElseThrow().message())
        .contains("all 1 connections of its budget were in use by the nodes sharing it");
  }

  /**
   * Three nodes, a budget of 1 and 4 threads on each wanting connections in a loop: fewer places
   * than nodes never deadlocks (every node gets its turns) and never opens a second connection.
   */
  @Test
  void a_budget_smaller_than_the_nodes_serves_every_node_in_turn_one_connection_at_a_time()
      throws Exception {
    DatabaseConfig store = store(TestPostgres.newDatabase("budget_store").url());
    Map<String, TargetConfig> configs = fleet("shared_turns", 4);
    List<Targets> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(node(configs, 1, Duration.ofMinutes(2), store));
    }
    AtomicInteger mostSeen = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    Thread sampler = sampler(mostSeen, done);
    ExecutorService threads = Executors.newFixedThreadPool(12);
    try {
      sampler.start();
      List<Future<Integer>> work = new ArrayList<>();
      for (Targets node : nodes) {
        for (int t = 1; t <= 4; t++) {
          String target = "t" + t;
          work.add(
              threads.submit(
                  () -> {
                    int used = 0;
                    for (int round = 0; round < 3; round++) {
                      try (Connection connection = node.dataSource(target).getConnection();
                          Statement statement = connection.createStatement()) {
                        statement.execute("SELECT pg_sleep(0.02)");
                        connection.rollback();
                        used++;
                      }
                    }
                    return used;
                  }));
        }
      }
      int used = 0;
      for (Future<Integer> each : work) {
        used += each.get(5, TimeUnit.MINUTES);
      }
      assertThat(used).isEqualTo(3 * 4 * 3);
    } finally {
      done.set(true);
      sampler.join();
      threads.shutdownNow();
      nodes.forEach(Targets::close);
    }
    assertThat(mostSeen.get()).isEqualTo(1);
  }

  /** Samples the most sessions of ours seen at once on the targets' server until {@code done}. */
  private static Thread sampler(AtomicInteger mostSeen, AtomicBoolean done) {
    return new Thread(
        () -> {
          try (Connection connection =
                  TestPostgres.otherServer().getPostgresDatabase().getConnection();
              Statement statement = connection.createStatement()) {
            while (!done.get()) {
              try (ResultSet rows = statement.executeQuery(OURS_ON_TARGETS_SERVER)) {
                rows.next();
                mostSeen.accumulateAndGet(rows.getInt(1), Math::max);
              }
            }
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /**
   * The store restarts while a node holds a connection: every store session ends, but the
   * connection to the audited server stays open. The node takes its place again on a new session,
   * and the other node waits until the connection is closed.
   */
  @Test
  void after_a_store_restart_a_place_still_in_use_is_not_given_to_another_node() throws Exception {
    try (RestartablePostgres storeServer = new RestartablePostgres(dir.resolve("store"))) {
      DatabaseConfig store = store(storeServer.url());
      Map<String, TargetConfig> configs = fleet("shared_restart", 2);
      try (Targets one = node(configs, 1, Duration.ofMinutes(2), store);
          Targets two = node(configs, 1, Duration.ofMinutes(2), store)) {
        Connection held = connect(one, "t1");
        storeServer.stop();
        storeServer.start();
        // node one takes its place again on a new session once the store is back ...
        Eventually.within(
            Duration.ofMinutes(1),
            "node one's place taken again",
            () -> placesHeld(storeServer) == 1);
        CompletableFuture<Connection> waiting =
            CompletableFuture.supplyAsync(() -> connect(two, "t2"));
        // ... so node two waits for it while node one's connection is open
        Thread.sleep(2_000);
        assertThat(waiting).isNotDone();
        assertThat(openOnTargetsServer()).isEqualTo(1);
        assertThat(held.isValid(5)).isTrue();
        held.close();
        Connection got = waiting.get(1, TimeUnit.MINUTES);
        assertThat(got.isValid(5)).isTrue();
        got.close();
      }
    }
  }

  /**
   * After a store restart no new place is taken until every node holding places has taken them
   * back; once they all have, a free place is taken at once. It waited a fixed 15 s after the
   * store's start, which held up every run of the cluster after each store restart.
   */
  @Test
  void after_a_store_restart_a_free_place_is_taken_as_soon_as_every_node_has_its_places_back()
      throws Exception {
    try (RestartablePostgres storeServer = new RestartablePostgres(dir.resolve("store"))) {
      DatabaseConfig store = store(storeServer.url());
      Map<String, TargetConfig> configs = fleet("shared_back", 2);
      try (Targets one = node(configs, 3, Duration.ofMinutes(2), store);
          Targets two = node(configs, 3, Duration.ofMinutes(2), store)) {
        Connection first = connect(one, "t1");
        Connection second = connect(two, "t2");
        storeServer.stop();
        storeServer.start();
        Eventually.within(
            Duration.ofMinutes(1),
            "both nodes' places taken again",
            () -> placesHeld(storeServer) == 2 && holdersBack(storeServer) == 2);
        Connection third = connect(two, "t1");
        double storeUp =
            ((Number)
                    storeServer
                        .database()
                        .query("SELECT extract(epoch FROM now() - pg_postmaster_start_time()) AS s")
                        .get(0)
                        .get("s"))
                .doubleValue();
        assertThat(storeUp)
            .as("seconds since the store's start when the free place was taken")
            .isLessThan(ClusterBudget.STORE_RESTART_GRACE.toSeconds());
        assertThat(openOnTargetsServer()).isEqualTo(3);
        for (Connection connection : List.of(first, second, third)) {
          connection.close();
        }
      }
    }
  }

  private static int holdersBack(RestartablePostgres storeServer) {
    return ((Number)
            storeServer
                .database()
                .query(
                    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
                        + " AND classid = x'1A7E0006'::int::oid AND granted")
                .get(0)
                .get("n"))
        .intValue();
  }

  private static int placesHeld(RestartablePostgres storeServer) {
    return ((Number)
            storeServer
                .database()
                .query(
                    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
                        + " AND classid = x'1A7E0004'::int::oid AND granted")
                .get(0)
                .get("n"))
        .intValue();
  }
}
