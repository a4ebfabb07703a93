package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunInfo;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunked audit on a cluster: two {@code serve} processes share the chunks of one run (the node
 * that holds the audit's lease coordinates, the other claims pending key ranges), and the one
 * result recorded equals a full run's, key for key.
 */
class ChunkedClusterTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;
  final List<ChildNode> nodes = new ArrayList<>();

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("chunked_cluster_target");
    store = TestPostgres.newDatabase("chunked_cluster_store");
    target.execute(
        """
        CREATE TABLE parent (id text PRIMARY KEY);
        INSERT INTO parent SELECT 'p' || i FROM generate_series(1, 100000) i;
        CREATE TABLE child (id bigint PRIMARY KEY, parent_id text);
        -- 3M rows, every 499th an orphan
        INSERT INTO child SELECT i, CASE WHEN i % 499 = 0 THEN 'gone-' || i
                                         ELSE 'p' || (1 + (i * 7919) % 100000) END
          FROM generate_series(1::bigint, 3000000::bigint) i;
        """);
    // A run long enough for the peer to join it: a node looks for its peers' chunked runs every
    // second, and a chunked run whose statements grow to its chunk_target ended in 1 s on an idle
    // machine with parallel workers, before the peer had looked. Without workers, at 3M rows, it
    // lasts several seconds whatever the machine.
    target.execute("ALTER DATABASE " + target.name() + " SET max_parallel_workers_per_gather = 0");
    target.execute("VACUUM (ANALYZE) parent");
    target.execute("VACUUM (ANALYZE) child");
  }

  @AfterEach
  void stopNodes() throws InterruptedException {
    for (ChildNode node : nodes) {
      node.close();
    }
  }

  private static final String AUDIT =
      """
      audits:
        - id: big
          kind: orphan
          child: child.parent_id
          parent: parent.id
          mode: chunked
          chunk_target: 150ms
          schedule: "0/30 * * * * ?"
      """;

  private Path config(String nodeId) {
    return config(nodeId, AUDIT, "");
  }

  /**
   * @param otherTargets more targets ({@link Workspace#target})
   */
  private Path config(String nodeId, String audit, String otherTargets) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/big.yaml", audit);
    return workspace.node(
        nodeId,
        store.url(),
        Workspace.target("app", target.url(), "max_concurrent_audits: 4") + otherTargets,
        """
        scheduler:
          threads: 2
          checkin_interval: 1s
        http:
          enabled: false
        """);
  }

  private long count(String sql) {
    try {
      return store.queryLong(sql);
    } catch (IllegalStateException notMigratedYet) {
      return 0;
    }
  }

  @Test
  void chunks_of_one_audit_run_on_two_nodes_and_combine_into_the_result_of_a_full_run()
      throws Exception {
    for (String id : List.of("n1", "n2")) {
      nodes.add(ChildNode.serve(id, config(id), dir));
    }
    AuditResult full =
        Audits.run(
                Files.createDirectories(dir.resolve("full")),
                target,
                AUDIT.replace("mode: chunked", "mode: full"))
            .get("big");
    assertSharedAndEqualToFull(full);
  }

  /**
   * The parent in another service's database (issue 17): both nodes run chunks, each a range of the
   * reference on both servers, and the result equals a full run across the two databases.
   */
  @Test
  void chunks_of_an_audit_across_databases_run_on_two_nodes_and_combine_into_the_full_result()
      throws Exception {
    TestPostgres.Database remote = TestPostgres.newDatabaseOnOtherServer("chunked_cluster_parent");
    remote.execute(
        """
        CREATE TABLE parent (id text PRIMARY KEY);
        INSERT INTO parent SELECT 'p' || i FROM generate_series(1, 100000) i;
        ANALYZE parent;
        """);
    // the chunks are byte-ordered ranges of parent_id: an index in that order answers them
    target.execute("CREATE INDEX child_parent_c ON child (parent_id COLLATE \"C\")");
    target.execute("ANALYZE child");
    String audit =
        AUDIT
            .replace("    kind: orphan\n", "    kind: orphan\n    target: app\n")
            .replace(
                "parent: parent.id", "parent: {target: customers, table: parent, columns: [id]}");
    String customers = Workspace.target("customers", remote.url(), "max_concurrent_audits: 4");
    for (String id : List.of("n1", "n2")) {
      nodes.add(ChildNode.serve(id, config(id, audit, customers), dir));
    }
    Map<String, TestPostgres.Database> targets = new LinkedHashMap<>();
    targets.put("app", target);
    targets.put("customers", remote);
    AuditResult full =
        Audits.run(
                Files.createDirectories(dir.resolve("full")),
                targets,
                null,
                audit.replace("mode: chunked", "mode: full"))
            .get("big");
    assertThat(full.info().mode()).isEqualTo(RunInfo.Mode.FULL);
    assertSharedAndEqualToFull(full);
  }

  /**
   * The chunked run recorded by the nodes: shared by both, every range once, equal to {@code full}.
   */
  private void assertSharedAndEqualToFull(AuditResult full) throws Exception {
    // the nodes' start first, with its own generous cap: at load 27 two nodes took most of the
    // 2 minutes this wait had, and the run (the next :00 or :30, then 1.5M rows in chunks) failed
    // it; the wait below measures the cluster, not how long JVMs take to start
    for (ChildNode node : nodes) {
      node.awaitServing();
    }
    ChildNode.within(
        nodes,
        Duration.ofSeconds(120),
        "a chunked run completed",
        () ->
            count(
                    "SELECT count(*) FROM integrity_auditor.audit_run WHERE audit_id = 'big'"
                        + " AND status IN ('ok', 'violations')")
                >= 1);
    for (ChildNode node : nodes) {
      node.terminate(Duration.ofSeconds(30));
    }
    long runId =
        store.queryLong(
            "SELECT min(id) FROM integrity_auditor.audit_run WHERE audit_id = 'big'"
                + " AND status IN ('ok', 'violations')");
    Map<String, Object> run =
        store
            .query(
                "SELECT status, mode, violations, rows_checked, chunks, chunk_nodes, node_id"
                    + " FROM integrity_auditor.audit_run WHERE id = "
                    + runId)
            .get(0);
    List<Map<String, Object>> byNode =
        store.query(
            "SELECT node_id, count(DISTINCT statement) AS statements, sum(rows_checked) AS rows"
                + " FROM integrity_auditor.audit_chunk WHERE run_id = "
                + runId
                + " GROUP BY node_id ORDER BY node_id");
    System.out.println("chunked run " + runId + ": " + run + ", by node: " + byNode);
    String logs = nodes.get(0).log() + "\n----\n" + nodes.get(1).log();
    assertThat(byNode).as("statements per node; logs:\n%s", logs).hasSize(2);
    assertThat(run.get("mode")).isEqualTo("chunked");
    assertThat(((Number) run.get("chunk_nodes")).intValue()).isEqualTo(2);
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_chunk WHERE run_id = "
                    + runId
                    + " AND state <> 'done'"))
        .as("ranges not done")
        .isZero();
    long rowsOverChunks =
        byNode.stream().mapToLong(r -> ((Number) r.get("rows")).longValue()).sum();
    assertThat(rowsOverChunks).as("no range counted twice, none missed").isEqualTo(3_000_000);

    // the same audit run full, in one statement (one merge), through the real path
    assertThat(((Number) run.get("violations")).longValue())
        .isEqualTo(Results.violations(full))
        .isEqualTo(3_000_000 / 499);
    assertThat(((Number) run.get("rows_checked")).longValue()).isEqualTo(Results.rowsChecked(full));
    List<Map<String, Object>> samples =
        store.query(
            "SELECT sample_key::text AS k FROM integrity_auditor.audit_run_sample WHERE run_id = "
                + runId
                + " ORDER BY ordinal");
    List<String> chunkedKeys = samples.stream().map(r -> (String) r.get("k")).toList();
    List<String> fullKeys =
        Results.samples(full).stream().map(io.integrityauditor.Json::write).toList();
    assertThat(chunkedKeys).hasSize(20);
    assertThat(chunkedKeys.stream().map(ChunkedClusterTest::normalise).toList())
        .isEqualTo(fullKeys.stream().map(ChunkedClusterTest::normalise).toList());
  }

  /** jsonb prints {"a": "1"}, Jackson {"a":"1"}. */
  private static String normalise(String json) {
    return json.replace(" ", "");
  }
}
