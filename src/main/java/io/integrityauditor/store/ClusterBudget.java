package io.integrityauditor.store;

import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.targets.Pools;
import io.integrityauditor.targets.SharedBudget;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection budget of each audited server held across every process sharing the store (the
 * nodes of a cluster, a {@code check} next to them). Place {@code i} of server {@code S} is the
 * session advisory lock {@code (LockClasses.BUDGET_PLACE, hashtext('S#i'))} of the store, for
 * {@code i} below the budget; a process holds its places on one store session of its own.
 *
 * <ul>
 *   <li>A process killed (SIGKILL, a crash): PostgreSQL ends its session and its places are free at
 *       once, as its connections to the audited server end with its sockets.
 *   <li>Waiting is fair across processes: a connection that finds no free place queues on the lock
 *       {@code (LockClasses.BUDGET_QUEUE, hashtext(S))} (PostgreSQL grants it in arrival order,
 *       bounded by {@code lock_timeout}); only the head of the queue takes the next place freed,
 *       and nobody takes a place at once while somebody queues. Processes close their idle
 *       connections when somebody queues, so a budget smaller than the number of nodes never
 *       deadlocks: every node gets its turn.
 *   <li>The store restarted: every session ended, but the connections to the audited servers are
 *       still open. Each process is listed in {@code connection_budget_holder} (a table, which
 *       outlives the restart) and marks its session with a lock of {@link
 *       LockClasses#BUDGET_HOLDER} once it has re-taken its places (it checks every second). Until
 *       every listed process is back, for at most {@link #STORE_RESTART_GRACE} after the store's
 *       start, no new place is taken, so none is handed to another process while its connection is
 *       still open. (A fixed 15 s wait held up every run of the cluster for 15 s after each store
 *       restart.)
 * </ul>
 */
public final class ClusterBudget implements SharedBudget {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterBudget.class);

  /**
   * How long after the store's start at most no new place is taken while a process listed as a
   * holder is not back (killed meanwhile, or frozen): the live ones re-take theirs within seconds.
   */
  public static final Duration STORE_RESTART_GRACE = Duration.ofSeconds(15);

  /** How often the head of a queue looks for a freed place. */
  private static final long POLL_MILLIS = 20;

  /**
   * How long a statement of the store may go unanswered: a store that hangs (frozen, cut off) must
   * not hold a run's connection close, or a wait, forever.
   */
  private static final int STORE_ANSWER_MILLIS = 30_000;

  /** Spare queue sessions kept open at most (a wait is common when a budget is busy). */
  private static final int SPARE_QUEUE_SESSIONS = 8;

  /** The advisory lock rows of this store database, of one class and key. */
  private static final String LOCKS =
      """
      SELECT 1 FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.objsubid = 2
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = ?::oid AND l.objid = hashtext(?)::oid
      """;

  /** Whether the holder {@code h.holder} is back: its session has its places again. */
  private static final String HOLDER_BACK =
      """
      EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND l.classid = %d::oid AND l.objid = hashtext(h.holder::text)::oid)
      """
          .formatted(LockClasses.BUDGET_HOLDER);

  /** The holders listed whose sessions are not back (after a store restart). */
  private static final String HOLDERS_AWAY =
      "SELECT 1 FROM " + Store.SCHEMA + ".connection_budget_holder h WHERE NOT " + HOLDER_BACK;

  /**
   * The first free place, locked: every condition sits in one CASE, evaluated in order, so that a
   * lock is never taken for a row the other conditions would then drop (the planner may reorder the
   * conditions of a WHERE).
   */
  private static final String TAKE =
      """
      SELECT s FROM generate_series(0, ? - 1) s
       WHERE CASE WHEN s = ANY (?) THEN false
                  WHEN NOT ? AND EXISTS (%s) THEN false
                  WHEN pg_postmaster_start_time() > now() - make_interval(secs => ?)
                       AND EXISTS (%s) THEN false
                  ELSE pg_try_advisory_lock(?, hashtext(? || '#' || s)) END
       LIMIT 1
      """
          .formatted(LOCKS, HOLDERS_AWAY);

  /** This process in {@code connection_budget_holder}. */
  private final UUID holder = UUID.randomUUID();

  private final DatabaseConfig store;
  private final Map<String, Set<Integer>> held = new HashMap<>();
  private final Deque<Connection> spareQueueSessions = new ArrayDeque<>();
  private Connection session;

  /**
   * Whether this process opened a session: it then keeps one, so that it is back after a restart.
   */
  private boolean listed;

  private boolean closed;

  public ClusterBudget(DatabaseConfig store) {
    this.store = store;
  }

  @Override
  public Place take(String server, int budget, Duration wait, Runnable beforeWaiting)
      throws SQLException {
    long deadline = System.nanoTime() + wait.toNanos();
    SQLException storeFailure = null;
    try {
      OptionalInt slot = tryTake(server, budget, false);
      if (slot.isPresent()) {
        return place(server, slot.getAsInt());
      }
    } catch (SQLException e) {
      storeFailure = e;
    }
    beforeWaiting.run();
    while (true) {
      try {
        return queued(server, budget, deadline);
      } catch (SQLException e) {
        if (isTimeout(e)) {
          throw noPlace(server, budget, wait, null);
        }
        storeFailure = e;
      }
      // the store is unreachable (restarting, failing over): wait for it within max_wait
      if (System.nanoTime() >= deadline) {
        throw noPlace(server, budget, wait, storeFailure);
      }
      pause(250);
    }
  }

  /**
   * Queues for {@code server}'s next free place, then takes it.
   *
   * @throws SQLException 55P03 when none came before {@code deadline}, or the store's failure
   */
  private Place queued(String server, int budget, long deadline) throws SQLException {
    Connection queue = queueSession();
    boolean reusable = false;
    try {
      long remaining = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      queue.setNetworkTimeout(
          Runnable::run, (int) Math.min(Integer.MAX_VALUE, remaining + STORE_ANSWER_MILLIS));
      try (PreparedStatement timeout =
          queue.prepareStatement("SELECT set_config('lock_timeout', ?, false)")) {
        timeout.setString(1, remaining + "ms");
        timeout.execute();
      }
      try (PreparedStatement lock =
          queue.prepareStatement("SELECT pg_advisory_lock(?, hashtext(?))")) {
        lock.setInt(1, LockClasses.BUDGET_QUEUE);
        lock.setString(2, server);
        lock.execute();
      }
      try {
        // the head of the queue: the next place freed, or one free all along, is this one's
        while (true) {
          OptionalInt slot = tryTake(server, budget, true);
          if (slot.isPresent()) {
            return place(server, slot.getAsInt());
          }
          if (System.nanoTime() >= deadline) {
            throw new SQLException("no place before the deadline", "55P03");
          }
          pause(POLL_MILLIS);
        }
      } finally {
        try (PreparedStatement unlock =
            queue.prepareStatement("SELECT pg_advisory_unlock(?, hashtext(?))")) {
          unlock.setInt(1, LockClasses.BUDGET_QUEUE);
          unlock.setString(2, server);
          unlock.execute();
          reusable = true;
        } catch (SQLException e) {
          // a broken session: closed below, which leaves the queue as well (a place taken stays)
        }
      }
    } finally {
      giveBackQueueSession(queue, reusable);
    }
  }

  private static boolean isTimeout(SQLException e) {
    return "55P03".equals(e.getSQLState());
  }

  private static void pause(long millis) throws SQLException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLTransientConnectionException(
          "interrupted while waiting for a place in a connection budget", "08001", e);
    }
  }

  private static SQLException noPlace(
      String server, int budget, Duration wait, SQLException storeFailure) {
    String why =
        storeFailure == null
            ? "all "
                + budget
                + " connections of its budget were in use by the nodes sharing it; raise"
                + " connection_budget for it, or lower max_concurrent_audits of its targets"
            : "the store, which holds the budget's places, could not be reached ("
                + Redactor.redact(String.valueOf(storeFailure.getMessage()))
                + "); check the store";
    return new SQLTransientConnectionException(
        "no connection to server " + server + " within " + wait.toSeconds() + " s: " + why,
        "08001",
        storeFailure);
  }

  /**
   * Takes a free place on this process's session.
   *
   * @param headOfQueue whether the caller heads the queue (others queueing do not stop it)
   */
  private synchronized OptionalInt tryTake(String server, int budget, boolean headOfQueue)
      throws SQLException {
    Connection connection = session();
    try (PreparedStatement take = connection.prepareStatement(TAKE)) {
      take.setInt(1, budget);
      take.setArray(
          2,
          connection.createArrayOf(
              "int4", held.getOrDefault(server, Set.of()).toArray(Integer[]::new)));
      take.setBoolean(3, headOfQueue);
      take.setInt(4, LockClasses.BUDGET_QUEUE);
      take.setString(5, server);
      take.setLong(6, STORE_RESTART_GRACE.toSeconds());
      take.setInt(7, LockClasses.BUDGET_PLACE);
      take.setString(8, server);
      try (ResultSet rows = take.executeQuery()) {
        if (!rows.next()) {
          return OptionalInt.empty();
        }
        int slot = rows.getInt(1);
        held.computeIfAbsent(server, s -> new HashSet<>()).add(slot);
        return OptionalInt.of(slot);
      }
    } catch (SQLException e) {
      checkSession();
      throw e;
    }
  }

  private Place place(String server, int slot) {
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        release(server, slot);
      }
    };
  }

  private synchronized void release(String server, int slot) {
    Set<Integer> slots = held.get(server);
    if (slots == null || !slots.remove(slot)) {
      return;
    }
    if (slots.isEmpty()) {
      held.remove(server);
    }
    if (session == null) {
      return; // the session ended, and the lock with it
    }
    try (PreparedStatement unlock =
        session.prepareStatement("SELECT pg_advisory_unlock(?, hashtext(? || '#' || ?))")) {
      unlock.setInt(1, LockClasses.BUDGET_PLACE);
      unlock.setString(2, server);
      unlock.setInt(3, slot);
      unlock.execute();
    } catch (SQLException e) {
      // a broken session has released it; a live one is checked and kept
      checkSession();
    }
  }

  @Override
  public synchronized boolean wanted(String server) {
    try (PreparedStatement waiting = session().prepareStatement("SELECT EXISTS (" + LOCKS + ")")) {
      waiting.setInt(1, LockClasses.BUDGET_QUEUE);
      waiting.setString(2, server);
      try (ResultSet rows = waiting.executeQuery()) {
        rows.next();
        return rows.getBoolean(1);
      }
    } catch (SQLException e) {
      checkSession();
      return false;
    }
  }

  /**
   * Re-opens the session (re-taking the places held) once it was lost, as after a store restart.
   */
  @Override
  public synchronized void maintain() {
    if (!listed || closed) {
      return;
    }
    checkSession();
    try {
      session();
    } catch (SQLException e) {
      LOG.debug(
          "the store is unreachable; {} connection budget places to re-take once it is back: {}",
          held.values().stream().mapToInt(Set::size).sum(),
          Redactor.redact(String.valueOf(e.getMessage())));
    }
  }

  /** This process's session, opened (and the places it holds locked again) when there is none. */
  private Connection session() throws SQLException {
    if (closed) {
      throw new SQLException("the connection budget is closed", "08003");
    }
    if (session == null) {
      Connection opened = Pools.connect(store);
      opened.setAutoCommit(true);
      opened.setNetworkTimeout(Runnable::run, STORE_ANSWER_MILLIS);
      session = opened;
      relock();
      back();
    }
    return session;
  }

  /**
   * Says this process is back, its places re-taken (the lock ends with the session), and lists it
   * as a holder; forgets the holders gone for good (killed while the store ran: no grace to give
   * them).
   */
  private void back() throws SQLException {
    try (PreparedStatement lock =
            session.prepareStatement("SELECT pg_advisory_lock(?, hashtext(?))");
        PreparedStatement list =
            session.prepareStatement(
                "INSERT INTO "
                    + Store.SCHEMA
                    + ".connection_budget_holder (holder) VALUES (?) ON CONFLICT DO NOTHING");
        PreparedStatement forget =
            session.prepareStatement(
                "DELETE FROM "
                    + Store.SCHEMA
                    + ".connection_budget_holder h WHERE NOT "
                    + HOLDER_BACK
                    + " AND pg_postmaster_start_time() < now() - make_interval(secs => ?)")) {
      lock.setInt(1, LockClasses.BUDGET_HOLDER);
      lock.setString(2, holder.toString());
      lock.execute();
      list.setObject(1, holder);
      list.executeUpdate();
      forget.setLong(1, STORE_RESTART_GRACE.toSeconds());
      forget.executeUpdate();
    }
    listed = true;
  }

  /**
   * Locks again the places held: the connections they stand for are still open. A place another
   * process took meanwhile (the session was lost while the store kept running, so no grace held it)
   * stays ours until our connection closes: said in the log, as the server may then briefly see
   * more than its budget.
   */
  private void relock() throws SQLException {
    for (Map.Entry<String, Set<Integer>> server : held.entrySet()) {
      for (int slot : server.getValue()) {
        try (PreparedStatement lock =
            session.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(? || '#' || ?))")) {
          lock.setInt(1, LockClasses.BUDGET_PLACE);
          lock.setString(2, server.getKey());
          lock.setInt(3, slot);
          try (ResultSet rows = lock.executeQuery()) {
            rows.next();
            if (!rows.getBoolean(1)) {
              LOG.warn(
                  "place {} of the connection budget of server {} was taken by another node while"
                      + " this node's store session was lost; until this node's connection in it"
                      + " closes, the server may see one connection more than its budget",
                  slot,
                  server.getKey());
            }
          }
        }
      }
    }
  }

  /** Drops the session when it is broken (its locks are gone with it); keeps a live one. */
  private void checkSession() {
    if (session == null) {
      return;
    }
    boolean valid;
    try {
      valid = session.isValid(2);
    } catch (SQLException e) {
      valid = false;
    }
    if (!valid) {
      closeQuietly(session);
      session = null;
    }
  }

  /** Leaves the holders at a clean close (a killed process's row is forgotten later). */
  private void unlist() {
    try (PreparedStatement unlist =
        session.prepareStatement(
            "DELETE FROM " + Store.SCHEMA + ".connection_budget_holder WHERE holder = ?")) {
      unlist.setObject(1, holder);
      unlist.executeUpdate();
    } catch (SQLException e) {
      // forgotten by the next process that opens a session
    }
  }

  private Connection queueSession() throws SQLException {
    synchronized (spareQueueSessions) {
      Connection spare = spareQueueSessions.pollFirst();
      if (spare != null) {
        return spare;
      }
    }
    Connection opened = Pools.connect(store);
    opened.setAutoCommit(true);
    return opened;
  }

  private void giveBackQueueSession(Connection queue, boolean reusable) {
    synchronized (spareQueueSessions) {
      if (reusable && !closed && spareQueueSessions.size() < SPARE_QUEUE_SESSIONS) {
        spareQueueSessions.addFirst(queue);
        return;
      }
    }
    closeQuietly(queue);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // broken already: its locks are gone with it
    }
  }

  /** Ends the session, which gives back every place still held. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      held.clear();
      if (session != null) {
        unlist();
        closeQuietly(session);
        session = null;
      }
    }
    synchronized (spareQueueSessions) {
      spareQueueSessions.forEach(ClusterBudget::closeQuietly);
      spareQueueSessions.clear();
    }
  }
}
