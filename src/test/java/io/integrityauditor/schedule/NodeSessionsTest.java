package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.store.LockClasses;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's liveness by its store session, on a real store (the advisory locks are PostgreSQL's).
 */
class NodeSessionsTest {
  static final String PREFIX = Store.SCHEMA + ".qrtz_";

  TestPostgres.Database store;
  NodeSessions.Own negative;
  NodeSessions.Own positive;

  /** Instance ids whose hashtext is negative and positive: both map to a lock's (oid) key. */
  String negativeId;

  String positiveId;

  @BeforeEach
  void store() {
    store = TestPostgres.newDatabase("node_sessions");
    try (Store opened =
        Store.open(
            new DatabaseConfig(
                store.url(), "postgres", Optional.empty(), 2, Duration.ofSeconds(5)))) {
      opened.migrate();
    }
    negativeId = idWithHash("< 0");
    positiveId = idWithHash("> 0");
    negative = new NodeSessions.Own(() -> store.dataSource().getConnection(), negativeId);
    positive = new NodeSessions.Own(() -> store.dataSource().getConnection(), positiveId);
  }

  @AfterEach
  void close() {
    negative.close();
    positive.close();
  }

  private String idWithHash(String sign) {
    return IntStream.range(0, 100)
        .mapToObj(i -> "node-" + i)
        .filter(id -> store.queryLong("SELECT (hashtext('" + id + "') " + sign + ")::int") == 1)
        .findFirst()
        .orElseThrow();
  }

  /** A check-in row for {@code id}, {@code agoMillis} before the store's clock, interval 1 s. */
  private void checkedIn(String id, long agoMillis) {
    checkedIn(id, agoMillis, 1_000);
  }

  private void checkedIn(String id, long agoMillis, long intervalMillis) {
    store.execute(
        ("INSERT INTO %sscheduler_state VALUES ('%s', '%s',"
                + " (extract(epoch FROM clock_timestamp()) * 1000)::bigint - %d, %d)")
            .formatted(PREFIX, QuartzCluster.SCHEDULER_NAME, id, agoMillis, intervalMillis));
  }

  private NodeSessions.Cluster read() throws SQLException {
    try (Connection connection = store.dataSource().getConnection()) {
      return NodeSessions.read(connection, PREFIX, QuartzCluster.SCHEDULER_NAME);
    }
  }

  private static List<String> ids(List<NodeSessions.NodeState> nodes) {
    return nodes.stream().map(NodeSessions.NodeState::instanceId).sorted().toList();
  }

  @Test
  void nodes_whose_sessions_hold_their_locks_are_alive_whatever_their_last_check_in()
      throws Exception {
    negative.hold();
    positive.hold();
    checkedIn(negativeId, 60_000);
    checkedIn(positiveId, 60_000);

    NodeSessions.Cluster cluster = read();

    assertThat(cluster.nodes())
        .extracting(NodeSessions.NodeState::sessionAlive)
        .containsExactly(true, true);
    assertThat(cluster.sessionEnded()).isEmpty();
    assertThat(negative.held()).isTrue();
    assertThat(positive.held()).isTrue();
  }

  @Test
  void a_node_whose_session_ended_is_dead_once_it_missed_its_next_check_in() throws Exception {
    negative.hold();
    positive.hold();
    checkedIn(negativeId, 2_500); // missed its check-in: 1 s interval + 1 s slack passed
    // may still check in: its next check-in is not due for a minute (with the 1 s interval and
    // 1.5 s ago, a test thread descheduled for half a second under load found it dead too)
    checkedIn(positiveId, 1_500, 60_000);
    negative.close();
    positive.close();

    assertThat(ids(read().sessionEnded())).containsExactly(negativeId);
  }

  @Test
  void a_node_checked_in_before_the_store_server_started_is_left_to_quartzs_rule()
      throws Exception {
    // a store restart ends every session: nodes that have not checked in since are not judged by
    // their session (the store's start is later than this check-in)
    long sinceStart =
        store.queryLong(
            "SELECT (extract(epoch FROM clock_timestamp() - pg_postmaster_start_time()) * 1000)"
                + "::bigint");
    checkedIn(negativeId, sinceStart + 5_000);
    checkedIn(positiveId, 5_000);

    assertThat(ids(read().sessionEnded())).containsExactly(positiveId);
  }

  @Test
  void a_second_session_of_the_same_node_waits_for_the_lock_and_takes_it_once_the_first_ends()
      throws Exception {
    // a node restarted under its id while its previous process still holds the lock (frozen)
    negative.hold();
    NodeSessions.Own restarted =
        new NodeSessions.Own(() -> store.dataSource().getConnection(), negativeId);
    try {
      restarted.hold();
      assertThat(restarted.held()).isFalse();
      checkedIn(negativeId, 60_000);
      assertThat(read().sessionEnded()).isEmpty(); // the previous session's lock still counts

      negative.close();
      // the first session's backend releases its locks as it exits, a moment after the close
      // (under load, after the next try): the restarted node takes the lock at a following hold
      Eventually.within(
          Duration.ofSeconds(30),
          "the restarted node holds its lock",
          () -> {
            try {
              restarted.hold();
              return restarted.held();
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
      assertThat(read().sessionEnded()).isEmpty();
    } finally {
      restarted.close();
    }
  }

  @Test
  void a_session_cut_from_the_server_is_reopened_and_the_lock_taken_again_at_the_next_hold()
      throws Exception {
    negative.hold();
    checkedIn(negativeId, 2_500);
    store.execute(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory'"
            + " AND classid = "
            + LockClasses.NODE_SESSION);
    assertThat(ids(read().sessionEnded())).containsExactly(negativeId);

    negative.hold();

    assertThat(negative.held()).isTrue();
    assertThat(read().sessionEnded()).isEmpty();
  }
}
