package io.integrityauditor.schedule;

import io.integrityauditor.store.LockClasses;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's liveness as the store sees it: each node holds an advisory lock keyed by its instance id
 * on a store session of its own for as long as its process lives. When the process dies (SIGKILL, a
 * crash, the OOM killer) the kernel closes its sockets, PostgreSQL ends the session and the lock is
 * gone at once; Quartz alone waits for the node's check-in to be check-in + 7.5 s old, which made
 * every recovery of a killed node's run take 8.5-10.5 s (1 s check-in). A node that is alive but
 * frozen (SIGSTOP, a long GC pause) keeps its session and lock, and is still declared dead by
 * Quartz's own rule, as before.
 *
 * <p>A node counts as dead by its session only when its lock is gone and it has also missed its
 * next check-in by a second: a live node whose session alone was cut re-takes the lock before it
 * checks in, so it is never declared dead for a moment without its lock; and a node whose last
 * check-in predates the store server's start (a store restart ends every session) is left to
 * Quartz's rule until it has checked in again.
 */
final class NodeSessions {

  /** How late a node's check-in must be, beyond its interval, for a missing lock to count. */
  static final long MISSED_CHECKIN_SLACK_MILLIS = 1_000;

  /** Opens a store session (Quartz's connection provider for this node's session). */
  interface Opener {
    Connection open() throws SQLException;
  }

  /**
   * A node's state in the store.
   *
   * @param checkin its last check-in, on the store's clock (epoch ms)
   * @param interval its check-in interval (ms)
   * @param sessionAlive whether some session holds its lock
   */
  record NodeState(String instanceId, long checkin, long interval, boolean sessionAlive) {}

  /**
   * Every node of the scheduler as the store sees it now.
   *
   * @param serverStarted when the store's server started (epoch ms): sessions and locks begin then
   * @param now the store's clock (epoch ms)
   */
  record Cluster(List<NodeState> nodes, long serverStarted, long now) {
    Cluster {
      nodes = List.copyOf(nodes);
    }

    /** Nodes whose process is gone: their lock is gone and they missed their next check-in. */
    List<NodeState> sessionEnded() {
      return nodes.stream()
          .filter(
              node ->
                  !node.sessionAlive()
                      && node.checkin() > serverStarted
                      && now - node.checkin() > node.interval() + MISSED_CHECKIN_SLACK_MILLIS)
          .toList();
    }
  }

  private NodeSessions() {}

  /** Reads every node's check-in and whether its session holds its lock, in one query. */
  static Cluster read(Connection conn, String tablePrefix, String schedulerName)
      throws SQLException {
    String sql =
        """
        SELECT s.instance_name, s.last_checkin_time, s.checkin_interval,
               EXISTS (SELECT 1 FROM pg_locks l
                        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                          AND l.database = (SELECT oid FROM pg_database
                                             WHERE datname = current_database())
                          AND l.classid = ?::oid AND l.objid = hashtext(s.instance_name)::oid),
               (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint
          FROM %sSCHEDULER_STATE s
         WHERE s.sched_name = ?
        """
            .formatted(tablePrefix);
    List<NodeState> nodes = new ArrayList<>();
    long serverStarted = 0;
    long now = 0;
    try (PreparedStatement statement = conn.prepareStatement(sql)) {
      statement.setInt(1, LockClasses.NODE_SESSION);
      statement.setString(2, schedulerName);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          nodes.add(
              new NodeState(
                  rows.getString(1), rows.getLong(2), rows.getLong(3), rows.getBoolean(4)));
          serverStarted = rows.getLong(5);
          now = rows.getLong(6);
        }
      }
    }
    return new Cluster(nodes, serverStarted, now);
  }

  /**
   * Since when the cluster has been up without a break, on the store's clock (epoch ms): the start
   * of the oldest session that holds a node's lock now. A fire time from before it came while no
   * node now alive was connected to the store (the cluster down, or the store itself away), so
   * missing it is downtime, not a misfire; {@link Long#MAX_VALUE} when no node holds its lock.
   */
  static long upSince(Connection conn) throws SQLException {
    String sql =
        """
        SELECT (extract(epoch FROM min(a.backend_start)) * 1000)::bigint
          FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = ?::oid
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """;
    try (PreparedStatement statement = conn.prepareStatement(sql)) {
      statement.setInt(1, LockClasses.NODE_SESSION);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        long since = rows.getLong(1);
        return rows.wasNull() ? Long.MAX_VALUE : since;
      }
    }
  }

  /**
   * This node's session and the lock it holds: used by Quartz's cluster manager at each check-in,
   * and closed by the scheduler's shutdown.
   */
  static final class Own implements AutoCloseable {
    private final Opener opener;
    private final String instanceId;
    private Connection session;
    private boolean held;

    Own(Opener opener, String instanceId) {
      this.opener = opener;
      this.instanceId = instanceId;
    }

    /**
     * Makes sure this node's session is open and holds its lock; called before each check-in, so
     * that a check-in is never written while the lock is missing. The lock may be held by another
     * session with this instance id (a previous process of this node, frozen): then it is tried
     * again at the next check-in, and peers see the lock held meanwhile.
     */
    synchronized void hold() throws SQLException {
      if (session != null && !session.isValid(5)) {
        closeSession();
      }
      if (session == null) {
        session = opener.open();
        session.setAutoCommit(true);
        held = false;
      }
      if (!held) {
        try (PreparedStatement lock =
            session.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
          lock.setInt(1, LockClasses.NODE_SESSION);
          lock.setString(2, instanceId);
          try (ResultSet result = lock.executeQuery()) {
            result.next();
            held = result.getBoolean(1);
          }
        }
      }
    }

    /** Whether this node's lock is held by its session (as of the latest check-in). */
    synchronized boolean held() {
      return held;
    }

    private void closeSession() {
      try {
        session.close();
      } catch (SQLException e) {
        // already broken: closing it is all that was wanted
      }
      session = null;
      held = false;
    }

    /** Ends the session, which releases the lock. */
    @Override
    public synchronized void close() {
      if (session != null) {
        closeSession();
      }
    }
  }
}
