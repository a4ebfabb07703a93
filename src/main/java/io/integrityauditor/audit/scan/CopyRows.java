package io.integrityauditor.audit.scan;

import de.siegmar.fastcsv.reader.AbstractBaseCsvCallbackHandler;
import de.siegmar.fastcsv.reader.CsvParseException;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.RecordType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyInputStream;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.Parser;

/**
 * A query's rows streamed through {@code COPY (query) TO STDOUT (FORMAT csv)}, read as they arrive.
 *
 * <p>Why COPY and not a cursor: PostgreSQL runs a statement fetched a batch at a time (a portal
 * with a row limit, what pgjdbc does with a fetch size) in the leader alone, never in parallel
 * workers, although it plans them; a COPY runs its query to completion, with its workers, and the
 * worker still holds only what it is reading (measured on 10 M rows: 53 s through a cursor, 25 s
 * through COPY, the same CPU; docs/performance.md). The connection serves nothing else until the
 * last row is read, and the statement runs in the connection's transaction (snapshot, timeouts);
 * {@code cancelQuery} on the connection stops it.
 *
 * <p>The CSV is read by FastCSV's callback reader: each field a {@code String} (none for NULL), no
 * record object per row. A million violating rows of a full audit are read while the audited
 * server's statement runs on the same cores; commons-csv, which built a record of strings per row,
 * took 115-145 ms of the worker's CPU per million rows against 48-54 ms for this
 * (docs/performance.md, "ninth session").
 */
public final class CopyRows {
  /** The largest value read, in characters (PostgreSQL's own limit is 1 GB). */
  private static final int MAX_FIELD = 1 << 30;

  private CopyRows() {}

  /** One row: its columns' text forms (0-based), null for SQL NULL; valid only in its call. */
  @FunctionalInterface
  public interface Row {
    String get(int index);
  }

  /** Takes the rows as they are read. */
  @FunctionalInterface
  public interface Handler {
    void row(Row row) throws SQLException;
  }

  /** Runs {@code sql} (no bind parameters: inline them) as a COPY and hands on every row. */
  public static void read(Connection connection, String sql, Handler handler) throws SQLException {
    PGConnection postgres = connection.unwrap(PGConnection.class);
    // the text a prepared statement would send: pgjdbc's own parser turns the JDBC escape ??
    // (PostgreSQL's ? operator, e.g. jsonb's, as users write it in a sql audit) into ?, as it
    // did when the statement ran through the driver; COPY's text is sent as it is
    String statement =
        Parser.parseJdbcSql(
                sql,
                connection.unwrap(BaseConnection.class).getStandardConformingStrings(),
                true,
                false,
                false,
                false)
            .get(0)
            .nativeSql;
    Rows rows = new Rows(handler);
    try (PGCopyInputStream stream =
            new PGCopyInputStream(postgres, "COPY (" + statement + ") TO STDOUT (FORMAT csv)");
        CsvReader<Object> reader =
            CsvReader.builder()
                // COPY's CSV as PostgreSQL writes it: an unquoted empty field is NULL, a quoted one
                // an empty text; quotes, delimiters and line breaks inside a value are quoted,
                // backslashes are plain; a row of one NULL column is an empty line
                .skipEmptyLines(false)
                .allowExtraFields(true)
                .allowMissingFields(true)
                .maxBufferSize(MAX_FIELD)
                .build(rows, stream, StandardCharsets.UTF_8)) {
      // the handler takes every row as it is parsed and builds no record: one step reads all
      reader.iterator().hasNext();
    } catch (CsvParseException e) {
      // FastCSV wraps whatever its callback throws: the handler's own failures go on as they were
      if (e.getCause() instanceof Failed failed) {
        throw failed.cause;
      }
      if (e.getCause() instanceof RuntimeException unchecked
          && !(unchecked instanceof UncheckedIOException)) {
        throw unchecked;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw failure(e);
    } catch (IOException | UncheckedIOException e) {
      throw failure(e);
    }
  }

  /** Hands each row to the handler as FastCSV parses it, its fields in one reused array. */
  private static final class Rows extends AbstractBaseCsvCallbackHandler<Object> implements Row {
    private final Handler handler;
    private String[] fields = new String[8];
    private int size;

    Rows(Handler handler) {
      this.handler = handler;
    }

    @Override
    protected void handleBegin(long startingLineNumber) {
      size = 0;
    }

    @Override
    protected void handleField(int index, char[] buffer, int offset, int length, boolean quoted) {
      if (index >= fields.length) {
        fields = Arrays.copyOf(fields, Math.max(index + 1, 2 * fields.length));
      }
      fields[index] = length == 0 && !quoted ? null : new String(buffer, offset, length);
      size = index + 1;
    }

    @Override
    protected Object buildRecord() {
      if (getRecordType() == RecordType.EMPTY) {
        fields[0] = null;
        size = 1;
      }
      try {
        handler.row(this);
      } catch (SQLException e) {
        throw new Failed(e);
      }
      return null; // no record: the reader goes on to the next row
    }

    @Override
    public String get(int index) {
      if (index >= size) {
        throw new IndexOutOfBoundsException(
            "column " + index + " of a row of " + size + " columns");
      }
      return fields[index];
    }
  }

  /** A handler's failure, carried out of the reader's callback. */
  private static final class Failed extends RuntimeException {
    final SQLException cause;

    Failed(SQLException cause) {
      super(cause.getMessage(), cause, false, false);
      this.cause = cause;
    }
  }

  /**
   * The driver's failure inside a COPY's reader (a cancelled or timed-out statement, a lost
   * connection), with its SQLSTATE: it decides whether the run is a timeout or an error.
   */
  private static SQLException failure(Exception e) {
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return sql;
      }
    }
    // what else breaks a COPY's stream is its connection
    return new SQLException("reading the stream failed: " + e.getMessage(), "08006", e);
  }
}
