package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.RestartablePostgres;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code serve} node started while its store cannot be reached (issue 19: it exited when the
 * store took longer than {@code connect_timeout} to accept a connection) waits for it with backoff,
 * saying what it waits for, and serves once the store is there.
 */
class StoreStartTest {
  @TempDir Path dir;

  RestartablePostgres storeServer;
  ChildNode node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (storeServer != null) {
      storeServer.close();
    }
  }

  /** A node of one audit whose store is not running yet; the store is in {@link #storeServer}. */
  private void nodeWithStoreAway() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("store_start_target");
    target.execute(
        "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY,"
            + " parent_id int); INSERT INTO child VALUES (1, 99);");
    storeServer = new RestartablePostgres(dir.resolve("store-data"));
    String storeUrl = storeServer.url();
    storeServer.stop();
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: orphans
            kind: orphan
            child: child.parent_id
            parent: parent.id
            schedule: "@every 1s"
        """);
    Path config =
        workspace.write(
            "n1.yaml",
            """
            node_id: n1
            store:
              url: %s
              user: postgres
              connect_timeout: 1s
            targets:
              app:
                url: %s
                user: postgres
            audits:
              - audits/*.yaml
            scheduler:
              first_run_window: 0s
            http:
              enabled: false
            """
                .formatted(storeUrl, target.url()));
    node = ChildNode.serve("n1", config, dir);
    Eventually.within(
        ChildNode.START_UP_CAP,
        "the node says it waits for the store",
        () -> node.log().contains("waiting for the store at " + storeUrl) || !node.isAlive());
    assertThat(node.isAlive()).as("alive while the store is away:\n%s", node.log()).isTrue();
  }

  @Test
  void a_node_started_before_its_store_waits_for_it_then_serves_and_runs_its_audit()
      throws Exception {
    nodeWithStoreAway();
    Eventually.pause(3_000); // a few more attempts, with backoff
    assertThat(node.isAlive()).as("still alive:\n%s", node.log()).isTrue();
    assertThat(node.log()).doesNotContain("serving;");

    storeServer.start();

    node.awaitServing();
    awaitARecordedRun(node);
  }

  @Test
  void a_node_stopped_while_it_waits_for_its_store_exits_without_waiting_for_the_store()
      throws Exception {
    // the SIGTERM waited for the start to finish, up to 2 minutes, and the start waited for the
    // store without end: a service manager's stop timeout (systemd: 90 s) SIGKILLed the node
    nodeWithStoreAway();
    node.terminate(Duration.ofSeconds(30));
    assertThat(node.log())
        .contains("stop requested during start-up", "stopped while waiting for the store")
        .doesNotContain("serving;");
  }

  @Test
  void a_node_whose_store_restarts_during_its_start_waits_for_it_then_serves_and_runs_its_audit()
      throws Exception {
    // it exited with code 3 ("cannot take the store's job reconciliation lock"): the full soak
    // restarted the store while a node was starting
    nodeWithStoreAway();
    storeServer.start();
    try (Connection holder = storeServer.database().dataSource().getConnection();
        Statement statement = holder.createStatement()) {
      // the node's start then waits for this lock (Store.OneNodeAtATime.JOB_RECONCILIATION), on a
      // session the restart ends in the middle of its start
      statement.execute("SELECT pg_advisory_lock(" + JOB_RECONCILIATION_LOCK + ")");
      ChildNode.within(
          List.of(node),
          ChildNode.START_UP_CAP,
          "the node waits for the job reconciliation lock",
          () -> {
            if (!node.isAlive()) {
              return true;
            }
            try (ResultSet rows =
                statement.executeQuery(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                        + " AND pid <> pg_backend_pid()")) {
              rows.next();
              return rows.getLong(1) == 1;
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
      assertThat(node.isAlive()).as("alive:\n%s", node.log()).isTrue();
      storeServer.stop();
    }
    Eventually.pause(2_000);
    assertThat(node.isAlive()).as("alive while the store restarts:\n%s", node.log()).isTrue();
    storeServer.start();

    node.awaitServing();
    assertThat(node.log()).contains("the store went away during start-up");
    awaitARecordedRun(node);
  }

  /** Waits until the node has recorded a completed run of the orphan audit in the store. */
  private void awaitARecordedRun(ChildNode node) {
    ChildNode.within(
        List.of(node),
        Duration.ofSeconds(60),
        "a run recorded",
        () ->
            storeServer
                    .database()
                    .queryLong(
                        "SELECT count(*) FROM integrity_auditor.audit_run WHERE status ="
                            + " 'violations'")
                > 0);
  }

  /** The key of {@code Store.OneNodeAtATime.JOB_RECONCILIATION}'s advisory lock. */
  private static final long JOB_RECONCILIATION_LOCK = 0x1A7E_6A11_D170_0002L;
}
