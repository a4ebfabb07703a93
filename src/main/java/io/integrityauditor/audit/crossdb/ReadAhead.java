package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.TableColumns;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.ResultQuery;

/**
 * One side's ordered stream, executed and read on a thread of its own into a short queue of fetched
 * batches, so that the two servers work at once: the child's grouping and sort and the parent's
 * sort run together, and each side's rows are decoded while the worker merges the other's (read one
 * after the other in one thread, the two servers took turns).
 *
 * <p>The stream's statement runs on the side's connection, which the merging thread also uses
 * between fetches (re-checks, the violating rows): the driver serialises the two, as it serialises
 * a cursor's fetches with other statements in one thread. {@link #stop} ends a stream that is not
 * needed any more after its current fetch, leaving the transaction usable; {@link #cancel} cancels
 * its statement on the server (a failed run: its transaction is rolled back anyway). Either waits
 * until the thread has let go of the connection, so the connection never returns to its pool in
 * use.
 */
final class ReadAhead implements AutoCloseable {
  /** Fetched batches held ahead of the merge: bounds the worker's memory per side. */
  static final int QUEUE = 2;

  /** How often a waiting merge looks at its deadline. */
  private static final long POLL_MILLIS = 100;

  /** Reads one row of the stream (the cursor is on it) into what the merge compares. */
  @FunctionalInterface
  interface RowReader {
    Object[] read(ResultSet rows) throws SQLException;
  }

  /**
   * Checked while the merge waits for a batch: throws to end the wait (past the deadline, the other
   * side failed).
   */
  @FunctionalInterface
  interface WaitCheck {
    void check() throws SQLException;
  }

  /** The end of the stream, or its failure ({@link #failure}). */
  private static final List<Object[]> END = Collections.unmodifiableList(new ArrayList<>());

  private final TableColumns.Bound side;
  private final BlockingQueue<List<Object[]>> queue = new ArrayBlockingQueue<>(QUEUE);
  private final Thread thread;
  private volatile boolean stopped;
  private volatile Statement statement;
  private volatile Throwable failure;
  private List<Object[]> batch = List.of();
  private int position;
  private boolean ended;

  private ReadAhead(
      TableColumns.Bound side,
      DSLContext context,
      ResultQuery<?> query,
      int fetchSize,
      RowReader reader) {
    this.side = side;
    // inlined: the stream's own plain statement, which another thread can cancel
    String sql = context.renderInlined(query);
    this.thread =
        new Thread(
            () -> context.connection(connection -> read(connection, sql, fetchSize, reader)),
            "crossdb-" + side.target() + "-" + side.table().id());
    thread.setDaemon(true);
  }

  /** Starts executing {@code query} on {@code side}'s server ({@code context}) and reading it. */
  static ReadAhead start(
      TableColumns.Bound side,
      DSLContext context,
      ResultQuery<?> query,
      int fetchSize,
      RowReader reader) {
    ReadAhead stream = new ReadAhead(side, context, query, fetchSize, reader);
    stream.thread.start();
    return stream;
  }

  private void read(Connection connection, String sql, int fetchSize, RowReader reader) {
    try {
      Sides.on(
          side,
          () -> {
            try (Statement st = connection.createStatement()) {
              st.setFetchSize(fetchSize);
              statement = st;
              if (stopped) {
                return null;
              }
              try (ResultSet rows = st.executeQuery(sql)) {
                List<Object[]> rowsRead = new ArrayList<>(fetchSize);
                while (!stopped && rows.next()) {
                  rowsRead.add(reader.read(rows));
                  if (rowsRead.size() == fetchSize) {
                    hand(rowsRead);
                    rowsRead = new ArrayList<>(fetchSize);
                  }
                }
                hand(rowsRead);
              } finally {
                statement = null;
              }
            }
            return null;
          });
    } catch (SQLException | RuntimeException | Error e) {
      failure = e;
    } finally {
      hand(END);
    }
  }

  /** Passes a batch to the merge, unless the stream was stopped meanwhile. */
  private void hand(List<Object[]> rows) {
    try {
      while (!stopped && !queue.offer(rows, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        // the merge is busy: wait, but not past a stop
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    }
  }

  /**
   * The next row, or null at the end of the stream. A failure of the side's statement is thrown
   * here, naming its target (the run is then an error, never a result).
   */
  Object[] next(WaitCheck check) throws SQLException {
    while (position == batch.size()) {
      if (ended) {
        return null;
      }
      List<Object[]> taken;
      try {
        while ((taken = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS)) == null) {
          check.check();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException(
            "target " + side.target() + ": interrupted while reading its stream", "57014", e);
      }
      if (taken == END) {
        ended = true;
        throwFailure();
        return null;
      }
      batch = taken;
      position = 0;
    }
    return batch.get(position++);
  }

  /**
   * Throws the failure of the stream's statement, if it failed: while the merge waits for the other
   * side, so that either side failing ends the run at once.
   */
  void throwFailure() throws SQLException {
    Throwable failed = failure;
    if (failed instanceof SQLException e) {
      throw e;
    }
    if (failed instanceof RuntimeException e) {
      throw e;
    }
    if (failed instanceof Error e) {
      throw e;
    }
  }

  /**
   * Ends the stream after its current fetch, without touching its statement (the transaction stays
   * usable), and waits for its thread.
   */
  void stop() {
    stopped = true;
    queue.clear();
    join();
  }

  /**
   * Cancels the stream's statement on its server, then waits for its thread: after a failure, so
   * that the run ends without waiting for the other side's sort.
   */
  void cancel() {
    stopped = true;
    queue.clear();
    // again until the thread ends: the statement may only just have started
    while (thread.isAlive()) {
      Statement running = statement;
      if (running != null) {
        try {
          running.cancel();
        } catch (SQLException e) {
          // the connection is rolled back and returned by the run's attempt in any case
        }
      }
      join(POLL_MILLIS);
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void join() {
    while (thread.isAlive()) {
      join(0);
    }
  }

  /**
   * Waits for the thread up to {@code millis} (0: until it ends). The connection must not return to
   * its pool while the thread still uses it, so an interrupt does not end the wait: it is kept for
   * the caller.
   */
  private void join(long millis) {
    boolean interrupted = Thread.interrupted();
    try {
      while (true) {
        try {
          thread.join(millis);
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
