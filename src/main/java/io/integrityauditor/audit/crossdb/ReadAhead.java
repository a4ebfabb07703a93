package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.CopyRows;
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
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.ResultQuery;
import org.postgresql.PGConnection;

/**
 * One side's ordered stream, executed and read on a thread of its own into a short queue of fetched
 * batches, so that the two servers work at once: the child's grouping and sort and the parent's
 * sort run together, and each side's rows are decoded while the worker merges the other's (read one
 * after the other in one thread, the two servers took turns).
 *
 * <p>Two ways to read a stream. {@link #copy} runs {@code COPY (query) TO STDOUT (FORMAT csv)}: the
 * server runs the query to completion and may use parallel workers (a cursor fetched a batch at a
 * time never does: PostgreSQL runs its plan in the leader alone), but the side's connection serves
 * nothing else until the stream's last row is read. {@link #cursor} fetches a batch at a time, and
 * the merging thread may use the connection between fetches (re-checks, findings): the driver
 * serialises the two, as it serialises a cursor's fetches with other statements in one thread.
 * Either way the statement runs in the side's transaction (its snapshot, its timeouts).
 *
 * <p>{@link #stop} ends a stream that is not needed any more, leaving the transaction usable: a
 * cursor after its current fetch, a COPY once its remaining rows are read and dropped. {@link
 * #cancel} cancels its statement on the server (a failed run: its transaction is rolled back
 * anyway). Either waits until the thread has let go of the connection, so the connection never
 * returns to its pool in use.
 */
final class ReadAhead implements AutoCloseable {
  /** Fetched batches held ahead of the merge: bounds the worker's memory per side. */
  static final int QUEUE = 2;

  /** How often a waiting merge looks at its deadline. */
  private static final long POLL_MILLIS = 100;

  /** One row of a stream: its columns' text forms (0-based), null for SQL NULL. */
  @FunctionalInterface
  interface Row {
    String text(int column) throws SQLException;
  }

  /** Reads one row of the stream into what the merge compares. */
  @FunctionalInterface
  interface RowReader {
    Object[] read(Row row) throws SQLException;
  }

  /** Cancels the stream's statement on its server (from another thread). */
  @FunctionalInterface
  private interface Canceller {
    void cancel() throws SQLException;
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
  private volatile Canceller running;
  private volatile Throwable failure;
  private List<Object[]> batch = List.of();
  private int position;
  private boolean ended;

  /** How a stream's statement is executed and its rows read, on the stream's thread. */
  @FunctionalInterface
  private interface Source {
    void read(ReadAhead stream, Connection connection, String sql) throws SQLException;
  }

  private final int batchSize;
  private final RowReader reader;

  private ReadAhead(
      TableColumns.Bound side,
      DSLContext context,
      ResultQuery<?> query,
      int batchSize,
      RowReader reader,
      Source source) {
    this.side = side;
    this.batchSize = batchSize;
    this.reader = reader;
    // inlined: the stream's own plain statement, which another thread can cancel
    String sql = context.renderInlined(query);
    this.thread =
        new Thread(
            () -> context.connection(connection -> read(source, connection, sql)),
            "crossdb-" + side.target() + "-" + side.table().id());
    thread.setDaemon(true);
  }

  /**
   * Starts {@code query} on {@code side}'s server ({@code context}) as a COPY to the worker, read
   * in batches of {@code batchSize} rows: the connection is the stream's until it has ended.
   */
  static ReadAhead copy(
      TableColumns.Bound side,
      DSLContext context,
      ResultQuery<?> query,
      int batchSize,
      RowReader reader) {
    return start(new ReadAhead(side, context, query, batchSize, reader, ReadAhead::readCopy));
  }

  /**
   * Starts {@code query} on {@code side}'s server ({@code context}) as a cursor fetched {@code
   * fetchSize} rows at a time: the connection serves other statements between fetches.
   */
  static ReadAhead cursor(
      TableColumns.Bound side,
      DSLContext context,
      ResultQuery<?> query,
      int fetchSize,
      RowReader reader) {
    return start(new ReadAhead(side, context, query, fetchSize, reader, ReadAhead::readCursor));
  }

  private static ReadAhead start(ReadAhead stream) {
    stream.thread.start();
    return stream;
  }

  private void read(Source source, Connection connection, String sql) {
    try {
      Sides.on(
          side,
          () -> {
            try {
              source.read(this, connection, sql);
            } finally {
              running = null;
            }
            return null;
          });
    } catch (SQLException | RuntimeException | Error e) {
      failure = e;
    } finally {
      hand(END);
    }
  }

  private void readCursor(Connection connection, String sql) throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.setFetchSize(batchSize);
      running = st::cancel;
      if (stopped) {
        return;
      }
      try (ResultSet rows = st.executeQuery(sql)) {
        Row row = column -> rows.getString(column + 1);
        Batches batches = new Batches();
        while (!stopped && rows.next()) {
          batches.add(reader.read(row));
        }
        batches.end();
      }
    }
  }

  /**
   * Reads the stream as COPY's CSV. A stopped stream is read to its end without handing its rows
   * on: the connection serves no other statement before, and cancelling the COPY would abort the
   * side's transaction.
   */
  private void readCopy(Connection connection, String sql) throws SQLException {
    PGConnection postgres = connection.unwrap(PGConnection.class);
    running = postgres::cancelQuery;
    if (stopped) {
      return;
    }
    Batches batches = new Batches();
    CopyRows.read(
        connection,
        sql,
        record -> {
          if (!stopped) {
            batches.add(reader.read(record::get));
          }
        });
    batches.end();
  }

  /** Gathers rows into batches of {@link #batchSize} and hands each to the merge. */
  private final class Batches {
    private List<Object[]> rows = new ArrayList<>(batchSize);

    void add(Object[] row) {
      rows.add(row);
      if (rows.size() == batchSize) {
        hand(rows);
        rows = new ArrayList<>(batchSize);
      }
    }

    void end() {
      hand(rows);
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

  /** Merges the rows of two streams (the child's, the parent's). */
  @FunctionalInterface
  interface Merge {
    void merge(ReadAhead child, ReadAhead parent) throws SQLException;
  }

  /**
   * Starts the child's and the parent's streams at once, each on its own thread (the two servers
   * work together), and merges them: once merged, both are stopped (the transactions stay usable);
   * if either side's statement fails, or the merge does (the deadline), both statements are
   * cancelled.
   */
  static void merged(Supplier<ReadAhead> child, Supplier<ReadAhead> parent, Merge merge)
      throws SQLException {
    ReadAhead childStream = child.get();
    ReadAhead parentStream;
    try {
      parentStream = parent.get();
    } catch (RuntimeException | Error e) {
      childStream.cancel();
      throw e;
    }
    boolean merged = false;
    try {
      merge.merge(childStream, parentStream);
      merged = true;
    } finally {
      if (merged) {
        childStream.stop();
        parentStream.stop();
      } else {
        childStream.cancel();
        parentStream.cancel();
      }
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
   * Ends the stream without touching its statement (the transaction stays usable): a cursor after
   * its current fetch, a COPY at its end. Waits for its thread.
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
      Canceller statement = running;
      if (statement != null) {
        try {
          statement.cancel();
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
