package io.integrityauditor.targets;

import io.integrityauditor.config.Redactor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL server ({@code host:port}) and the connections every target on it shares: at most
 * {@code budget} are open at any time, idle ones included (a permit is taken before a connection is
 * opened and given back only once it is closed), and a server found unreachable fails the next
 * connections at once instead of each waiting its connect timeout, until one of them, alone, tries
 * again. With a {@link SharedBudget} of a cluster, each connection also holds a place of the
 * server's budget taken in the store, so the budget holds across every process connecting to it.
 */
final class Server {
  private static final Logger LOG = LoggerFactory.getLogger(Server.class);

  /** How long a server found unreachable is not tried again. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  /** An idle connection older than this is validated before it is reused. */
  private static final Duration VALIDATE_AFTER = Duration.ofSeconds(1);

  /** A connection given back, kept open for its target for a short while. */
  private record Idle(String key, Connection physical, SharedBudget.Place place, long since) {}

  private final String address;
  private final int budget;
  private final Duration wait;
  private final Clock clock;
  private final Semaphore permits;
  private final SharedBudget shared;
  private final Deque<Idle> idle = new ArrayDeque<>();

  // the circuit: null while the server is reachable (or not tried yet)
  private String unreachable;
  private Instant retryAt;
  private boolean retrying;

  /** Closes or gives back a connection. */
  @FunctionalInterface
  interface SqlAction {
    void run() throws SQLException;
  }

  /** Opens one physical connection. */
  @FunctionalInterface
  interface Opener {
    Connection open() throws SQLException;
  }

  /** Sets up an idle connection for the caller that reuses it. */
  @FunctionalInterface
  interface Reuse {
    Reuse AS_IS = physical -> {};

    void prepare(Connection physical) throws SQLException;
  }

  Server(String address, int budget, Duration wait, Clock clock) {
    this(address, budget, wait, clock, SharedBudget.PROCESS_ONLY);
  }

  Server(String address, int budget, Duration wait, Clock clock, SharedBudget shared) {
    this.address = address;
    this.shared = shared;
    this.budget = budget;
    this.wait = wait;
    this.clock = clock;
    this.permits = new Semaphore(budget, true);
  }

  String address() {
    return address;
  }

  int budget() {
    return budget;
  }

  /** Connections open now (or being opened), idle ones included. */
  int inUse() {
    return budget - permits.availablePermits();
  }

  /**
   * A connection within the budget: an idle one of the same target if there is one, else a new one
   * (closing an idle one of another target when the budget is spent). Closing the returned
   * connection keeps it idle for a short while, or closes it at once when another connection waits
   * for its place.
   *
   * @param key whose idle connections may be reused (the target)
   */
  Connection open(String key, Opener opener) throws SQLException {
    return open(key, opener, Reuse.AS_IS);
  }

  /**
   * {@link #open(String, Opener)}, with {@code onReuse} run on an idle connection before it is
   * handed out (not on a new one): targets that share their idle connections under one key set up
   * what differs between them.
   */
  Connection open(String key, Opener opener, Reuse onReuse) throws SQLException {
    admit(false);
    Idle reused = reuse(key, onReuse);
    if (reused != null) {
      return onClose(reused.physical(), () -> giveBack(key, reused.physical(), reused.place()));
    }
    SharedBudget.Place place = null;
    if (!permits.tryAcquire()) {
      // the place of an idle connection of another target, else wait for one
      Idle oldest = takeIdle(null);
      if (oldest != null) {
        closeQuietly(oldest.physical());
        place = oldest.place();
      } else {
        acquire();
      }
    }
    boolean retry;
    try {
      retry = admit(true);
    } catch (SQLException e) {
      free(place);
      throw e;
    }
    try {
      if (place == null) {
        place = shared.take(address, budget, wait, this::closeAllIdle);
      }
    } catch (SQLException | RuntimeException e) {
      if (retry) {
        retryAbandoned();
      }
      permits.release();
      throw e;
    }
    Connection physical;
    try {
      physical = opener.open();
    } catch (SQLException | RuntimeException e) {
      // marked down before the place is freed: a connection waiting for it must see it down
      failed(e, retry);
      free(place);
      LOG.debug(
          "{}: cannot connect to server {}: [{}] {}",
          key,
          address,
          e instanceof SQLException sql ? sql.getSQLState() : e.getClass().getSimpleName(),
          Redactor.redact(String.valueOf(e.getMessage())));
      throw e;
    }
    reachable();
    LOG.debug("{}: new connection to server {} ({} of {} open)", key, address, inUse(), budget);
    SharedBudget.Place taken = place;
    return onClose(physical, () -> giveBack(key, physical, taken));
  }

  /** Gives back a connection's place: in the shared budget (when taken) and in this process. */
  private void free(SharedBudget.Place place) {
    if (place != null) {
      place.release();
    }
    permits.release();
  }

  private void acquire() throws SQLException {
    acquire(
        permits,
        wait,
        "server " + address,
        "all "
            + budget
            + " connections of its budget were in use; raise connection_budget for it, or lower"
            + " max_concurrent_audits of its targets");
  }

  /**
   * Takes a permit, waiting up to {@code wait}; else fails with {@code connection} (08001).
   *
   * @param what what the connection is to ("server db1:5432")
   * @param why why none was free, and what to change
   */
  static void acquire(Semaphore permits, Duration wait, String what, String why)
      throws SQLException {
    try {
      if (!permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new SQLTransientConnectionException(
            "no connection to " + what + " within " + wait.toSeconds() + " s: " + why, "08001");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLTransientConnectionException(
          "interrupted while waiting for a connection to " + what, "08001", e);
    }
  }

  /**
   * An idle connection of {@code key} still usable (its place in the budget comes with it), set up
   * by {@code onReuse}.
   */
  private Idle reuse(String key, Reuse onReuse) {
    while (true) {
      Idle idle = takeIdle(key);
      if (idle == null) {
        return null;
      }
      try {
        // a connection idle for a while may have been ended by the server or the network
        if (System.nanoTime() - idle.since() < VALIDATE_AFTER.toNanos()
            || idle.physical().isValid(1)) {
          onReuse.prepare(idle.physical());
          return idle;
        }
      } catch (SQLException e) {
        // not usable: closed below
      }
      closeQuietly(idle.physical());
      free(idle.place());
    }
  }

  /**
   * A connection given back: kept idle for its target unless another connection waits for a place
   * or the session is not clean (it is then closed and its place freed).
   */
  private void giveBack(String key, Connection physical, SharedBudget.Place place) {
    boolean keep = false;
    try {
      if (!physical.isClosed() && !permits.hasQueuedThreads()) {
        physical.rollback();
        physical.setAutoCommit(false);
        physical.setReadOnly(true);
        keep = true;
      }
    } catch (SQLException e) {
      keep = false;
    }
    if (keep) {
      synchronized (this) {
        idle.addLast(new Idle(key, physical, place, System.nanoTime()));
      }
      return;
    }
    closeQuietly(physical);
    free(place);
  }

  /** The most recently idle connection of {@code key} (any target when null), taken out. */
  private synchronized Idle takeIdle(String key) {
    Iterator<Idle> newestFirst = idle.descendingIterator();
    while (newestFirst.hasNext()) {
      Idle candidate = newestFirst.next();
      if (key == null || candidate.key().equals(key)) {
        newestFirst.remove();
        return candidate;
      }
    }
    return null;
  }

  /**
   * Closes idle connections older than {@code maxIdle}, and all of them while a connection waits
   * for a place, in this process or another one sharing the budget (run every second, so an idle
   * connection never keeps a waiting one out for long).
   */
  void closeIdle(Duration maxIdle) {
    // asked only when it could change something: a query of the store
    boolean wantedElsewhere = !maxIdle.isZero() && idle() > 0 && shared.wanted(address);
    List<Idle> expired = new ArrayList<>();
    synchronized (this) {
      boolean waiting = wantedElsewhere || permits.hasQueuedThreads();
      long now = System.nanoTime();
      idle.removeIf(
          candidate -> {
            if (waiting || now - candidate.since() >= maxIdle.toNanos()) {
              expired.add(candidate);
              return true;
            }
            return false;
          });
    }
    for (Idle candidate : expired) {
      closeQuietly(candidate.physical());
      free(candidate.place());
    }
  }

  private void closeAllIdle() {
    closeIdle(Duration.ZERO);
  }

  /** Idle connections now. */
  synchronized int idle() {
    return idle.size();
  }

  private static void closeQuietly(Connection physical) {
    try {
      physical.close();
    } catch (SQLException e) {
      // closing a broken connection: nothing more to do
    }
  }

  /**
   * Fails at once while the server is known to be unreachable; once its retry time has come, lets
   * exactly one caller through to try it (the others still fail at once while it does).
   *
   * @param mayRetry whether this caller may be the one that tries again
   * @return whether this caller is that one
   */
  private synchronized boolean admit(boolean mayRetry) throws SQLException {
    if (unreachable == null) {
      return false;
    }
    if (!retrying && !clock.instant().isBefore(retryAt)) {
      if (mayRetry) {
        retrying = true;
        return true;
      }
      return false;
    }
    throw new SQLTransientConnectionException(
        "server "
            + address
            + " is unreachable ("
            + unreachable
            + "); not tried again before "
            + retryAt
            + ", so that its targets fail at once instead of each waiting its connect timeout",
        "08001");
  }

  private synchronized void failed(Exception e, boolean wasRetry) {
    if (isUnreachable(e)) {
      unreachable = e.getMessage();
      retryAt = clock.instant().plus(RETRY_AFTER);
      retrying = false;
    } else if (wasRetry) {
      // the server answered (with another complaint, such as a wrong password): it is up
      reachable();
    }
  }

  /** The caller let through to try the server again did not try: the next one may. */
  private synchronized void retryAbandoned() {
    retrying = false;
  }

  private synchronized void reachable() {
    unreachable = null;
    retryAt = null;
    retrying = false;
  }

  /**
   * The server itself cannot be reached (refused, timed out, unknown host: pgjdbc's 08001) or is
   * not accepting sessions (starting up, shutting down), as opposed to refusing this database or
   * role.
   */
  static boolean isUnreachable(Throwable failure) {
    return failure instanceof SQLException sql
        && sql.getSQLState() != null
        && Set.of("08001", "08006", "57P03").contains(sql.getSQLState());
  }

  /**
   * {@code connection} as callers see it: its first {@code close()} runs {@code closer} instead
   * (which gives it back, or closes it).
   */
  static Connection onClose(Connection connection, SqlAction closer) {
    AtomicBoolean closed = new AtomicBoolean();
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "close" -> {
                    if (closed.compareAndSet(false, true)) {
                      closer.run();
                    }
                    yield null;
                  }
                  case "isClosed" -> closed.get() || connection.isClosed();
                  case "equals" -> proxy == args[0];
                  case "hashCode" -> System.identityHashCode(proxy);
                  default -> {
                    try {
                      if (closed.get()) {
                        throw new SQLException("the connection is closed", "08003");
                      }
                      yield method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  }
                });
  }
}
