package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection budget of a server across a real 2-node cluster ({@code serve} in child JVMs
 * sharing a store): the tenants' server never sees more of the nodes' connections, catalog reads
 * and runs together, than its budget, sampled from {@code pg_stat_activity} throughout.
 */
class ClusterBudgetTest {
  static final int TENANTS = 8;
  static final int BUDGET = 2;

  @TempDir Path dir;

  TestPostgres.Database tenants;
  TestPostgres.Database store;
  final List<ChildNode> nodes = new ArrayList<>();
  final AtomicInteger mostSeen = new AtomicInteger();
  final AtomicInteger samples = new AtomicInteger();
  final AtomicBoolean sampling = new AtomicBoolean(true);
  Thread sampler;

  @BeforeEach
  void fleet() {
    // the tenants on a server of their own (the store is on the other one): counting our sessions
    // there counts the nodes' connections to the audited server only. Tenant t_k has k % 3
    // orphans; its child view reads slowly (about 0.5 s) so that runs overlap.
    tenants = TestPostgres.newDatabaseOnOtherServer("budget_fleet");
    store = TestPostgres.newDatabase("budget_store");
    StringBuilder sql = new StringBuilder();
    for (int k = 1; k <= TENANTS; k++) {
      sql.append(
          """
          CREATE SCHEMA t_%1$d;
          CREATE TABLE t_%1$d.parent (id int PRIMARY KEY);
          INSERT INTO t_%1$d.parent SELECT generate_series(1, 10);
          CREATE TABLE t_%1$d.child (id int PRIMARY KEY, parent_id int);
          INSERT INTO t_%1$d.child SELECT i, CASE WHEN i <= %2$d THEN 100 + i ELSE i END
            FROM generate_series(1, 10) i;
          CREATE VIEW t_%1$d.child_slow AS
            SELECT c.* FROM t_%1$d.child c WHERE pg_sleep(0.05 + 0 * c.id) IS NOT NULL;
          """
              .formatted(k, k % 3));
    }
    tenants.execute(sql.toString());
    sampler = new Thread(this::sample, "pg_stat_activity sampler");
    sampler.start();
  }

  /** The most sessions of the nodes seen at once on the tenants' server. */
  private void sample() {
    try (Connection connection = TestPostgres.otherServer().getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      while (sampling.get()) {
        try (ResultSet rows =
            statement.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '"
                    + Pools.APPLICATION_NAME
                    + "%'")) {
          rows.next();
          mostSeen.accumulateAndGet(rows.getInt(1), Math::max);
          samples.incrementAndGet();
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    sampling.set(false);
    sampler.join();
    for (ChildNode node : nodes) {
      node.close();
    }
  }

  private Path config(String nodeId) {
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/fleet.yaml",
        """
        defaults:
          target: tenants
          schedule: "@weekly"
        audits:
          - {id: child.parent, kind: orphan, child: child.parent_id, parent: parent.id}
          - {id: child_slow.parent, kind: orphan, child: child_slow.parent_id, parent: parent.id}
        """);
    return workspace.node(
        nodeId,
        store.url(),
        Workspace.target("tenants", tenants.url(), "schemas: \"t_*\"\nmax_concurrent_audits: 2"),
        """
        connection_budget:
          per_server: %d
        scheduler:
          threads: 4
          checkin_interval: 1s
          first_run_window: 0s
        http:
          enabled: false
        """
            .formatted(BUDGET));
  }

  private ChildNode start(String nodeId) throws Exception {
    ChildNode node = ChildNode.serve(nodeId, config(nodeId), dir);
    nodes.add(node);
    return node;
  }

  /** The violations of every audit's finished runs, by member audit id. */
  private Map<String, List<Long>> finished() {
    Map<String, List<Long>> runs = new HashMap<>();
    try {
      store
          .query(
              "SELECT audit_id, violations FROM integrity_auditor.audit_run"
                  + " WHERE status IN ('ok', 'violations') ORDER BY id")
          .forEach(
              row ->
                  runs.computeIfAbsent((String) row.get("audit_id"), a -> new ArrayList<>())
                      .add(((Number) row.get("violations")).longValue()));
    } catch (IllegalStateException notMigratedYet) {
      // the nodes have not created the store's schema yet
    }
    return runs;
  }

  private void assertEveryMemberAuditRanWithItsCount(Map<String, List<Long>> runs) {
    assertThat(runs).hasSize(2 * TENANTS);
    for (int k = 1; k <= TENANTS; k++) {
      for (String audit : List.of("child.parent", "child_slow.parent")) {
        assertThat(runs.get(audit + "@t_" + k)).as(audit + "@t_" + k).contains((long) (k % 3));
      }
    }
  }

  @Test
  void two_nodes_reading_catalogs_and_running_a_burst_never_hold_more_than_the_budget_together()
      throws Exception {
    start("n1");
    start("n2");
    ChildNode.within(
        nodes,
        ChildNode.START_UP_CAP.plus(Duration.ofMinutes(5)),
        "every member audit finished once",
        () -> finished().size() == 2 * TENANTS);
    sampling.set(false);
    sampler.join();
    assertEveryMemberAuditRanWithItsCount(finished());
    assertThat(finished().values()).allSatisfy(runs -> assertThat(runs).hasSize(1));
    System.out.printf(
        "2 nodes, budget %d: at most %d connections in %d samples%n",
        BUDGET, mostSeen.get(), samples.get());
    assertThat(samples.get()).isPositive();
    assertThat(mostSeen.get()).isBetween(1, BUDGET);
  }

  /**
   * A node killed while it holds places: its store session ends and its places with it, so the
   * other node is not starved and runs every audit the dead node did not finish.
   */
  @Test
  void the_places_of_a_killed_node_are_taken_by_the_other_node_which_runs_the_rest()
      throws Exception {
    ChildNode n1 = start("n1");
    ChildNode.within(
        nodes,
        ChildNode.START_UP_CAP,
        "node n1 holds the budget's places",
        () -> finished().size() >= 1 && placesHeld() == BUDGET);
    n1.kill();
    start("n2");
    ChildNode.within(
        nodes,
        ChildNode.START_UP_CAP.plus(Duration.ofMinutes(5)),
        "every member audit finished",
        () -> finished().size() == 2 * TENANTS);
    assertEveryMemberAuditRanWithItsCount(finished());
  }

  /** Places of the budget held in the store now, by every node. */
  private long placesHeld() {
    return store.queryLong(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            + " AND classid = x'1A7E0004'::int::oid");
  }
}
