package io.integrityauditor.store;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.targets.Pools;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Our own run guard, independent of Quartz: PostgreSQL session advisory locks in the store, each
 * held on a connection of its own for as long as the run lasts.
 *
 * <p>Why not only {@code @DisallowConcurrentExecution}: Quartz declares a node dead when it misses
 * check-ins, and recovers its jobs on a peer even if the "dead" node was merely paused or slow and
 * is still running the audit. An advisory lock belongs to a live database session: a paused node
 * keeps it (so the peer waits), a killed node's session ends and the lock is released at once.
 *
 * <ul>
 *   <li>audit lease: one holder per audit id across the cluster ({@link #tryAudit});
 *   <li>target slots: at most K holders per target database ({@link #acquireSlot}), so a burst of
 *       schedules cannot overload an application database.
 * </ul>
 *
 * Keys are (class, hashtext(name)) pairs; two audit ids with the same 32-bit hash would only be
 * serialised, never run twice.
 */
public final class Leases implements AutoCloseable {
  private static final Duration FIRST_POLL = Duration.ofMillis(100);
  private static final Duration LONGEST_POLL = Duration.ofSeconds(2);

  private final DatabaseConfig store;
  private volatile HikariDataSource sessions;

  public Leases(DatabaseConfig store) {
    this.store = store;
  }

  /**
   * Sessions for leases, pooled: opening a session (a backend process) for every run cost
   * milliseconds that an hourly incremental run of a few thousand rows notices. A session goes back
   * to the pool only after {@code pg_advisory_unlock_all()}; one that cannot be unlocked is
   * evicted, which ends it and releases its locks.
   */
  private Connection session() throws SQLException {
    HikariDataSource pool = sessions;
    if (pool == null) {
      synchronized (this) {
        if (sessions == null) {
          sessions =
              Pools.create(
                  "leases",
                  new DatabaseConfig(
                      store.url(), store.user(), store.password(), 68, store.connectTimeout()),
                  false);
        }
        pool = sessions;
      }
    }
    return pool.getConnection();
  }

  private void release(Connection connection) {
    try (PreparedStatement unlock =
        connection.prepareStatement("SELECT pg_advisory_unlock_all()")) {
      unlock.execute();
      connection.close();
    } catch (SQLException e) {
      // the session is broken or its locks unknown: end it (which releases them)
      sessions.evictConnection(connection);
    }
  }

  @Override
  public void close() {
    if (sessions != null) {
      sessions.close();
    }
  }

  /** The exclusive right to run one audit. Closing it releases the lock and the connection. */
  public final class Lease implements AutoCloseable {
    private final Connection connection;

    private Lease(Connection connection) {
      this.connection = connection;
    }

    /**
     * Waits for one of the {@code slots} run slots of {@code target}, polling until {@code
     * cancelled} says stop. Held until this lease is closed.
     *
     * @return false when cancelled before a slot was free
     */
    public boolean acquireSlot(String target, int slots, BooleanSupplier cancelled)
        throws SQLException, InterruptedException {
      Duration pause = FIRST_POLL;
      while (!cancelled.getAsBoolean()) {
        for (int slot = 0; slot < slots; slot++) {
          if (tryLock(connection, LockClasses.TARGET_SLOT, target + "#" + slot)) {
            return true;
          }
        }
        Thread.sleep(pause.toMillis());
        pause = nextPoll(pause);
      }
      return false;
    }

    @Override
    public void close() {
      release(connection);
    }
  }

  /**
   * One of the {@code slots} run slots of {@code target} on a session of its own, or empty when all
   * are taken; for a node helping with another node's chunked run (which holds a slot of its own).
   * Closing it releases the slot.
   */
  public Optional<AutoCloseable> trySlot(String target, int slots) throws SQLException {
    Connection connection = session();
    try {
      for (int slot = 0; slot < slots; slot++) {
        if (tryLock(connection, LockClasses.TARGET_SLOT, target + "#" + slot)) {
          return Optional.of(() -> release(connection));
        }
      }
    } catch (SQLException | RuntimeException e) {
      release(connection);
      throw e;
    }
    release(connection);
    return Optional.empty();
  }

  /**
   * The audit's lease, waiting while another live session holds it: polled (100 ms, doubling to 2
   * s) for at most {@code wait}, or until {@code cancelled} says stop.
   *
   * @return empty when another session still held it at the end of the wait
   */
  public Optional<Lease> awaitAudit(String auditId, Duration wait, BooleanSupplier cancelled)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    Duration pause = FIRST_POLL;
    while (true) {
      Optional<Lease> lease = tryAudit(auditId);
      long left = deadline - System.nanoTime();
      if (lease.isPresent() || left <= 0 || cancelled.getAsBoolean()) {
        return lease;
      }
      Thread.sleep(Math.max(1, Math.min(pause.toMillis(), left / 1_000_000)));
      pause = nextPoll(pause);
    }
  }

  /** The audit's lease, or empty when another live session holds it (the audit is running). */
  public Optional<Lease> tryAudit(String auditId) throws SQLException {
    Connection connection = session();
    try {
      if (tryLock(connection, LockClasses.AUDIT_LEASE, auditId)) {
        return Optional.of(new Lease(connection));
      }
    } catch (SQLException | RuntimeException e) {
      release(connection);
      throw e;
    }
    release(connection);
    return Optional.empty();
  }

  /** How often a wait for a lock polls: 100 ms, doubling to 2 s. */
  private static Duration nextPoll(Duration pause) {
    Duration doubled = pause.multipliedBy(2);
    return doubled.compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : doubled;
  }

  private static boolean tryLock(Connection connection, int lockClass, String name)
      throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
      statement.setInt(1, lockClass);
      statement.setString(2, name);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getBoolean(1);
      }
    }
  }
}
