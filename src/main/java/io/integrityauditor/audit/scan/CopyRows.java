package io.integrityauditor.audit.scan;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
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
 */
public final class CopyRows {
  /**
   * COPY's CSV as PostgreSQL writes it: an unquoted empty field is NULL, a quoted one an empty
   * text; quotes, delimiters and line breaks inside a value are quoted, backslashes are plain.
   */
  private static final CSVFormat CSV = CSVFormat.POSTGRESQL_CSV;

  private CopyRows() {}

  /** One row: its columns' text forms (0-based), null for SQL NULL. */
  @FunctionalInterface
  public interface Handler {
    void row(CSVRecord row) throws SQLException;
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
    try (Reader text =
            new InputStreamReader(
                new PGCopyInputStream(postgres, "COPY (" + statement + ") TO STDOUT (FORMAT csv)"),
                StandardCharsets.UTF_8);
        CSVParser records = CSV.parse(text)) {
      for (CSVRecord record : records) {
        handler.row(record);
      }
    } catch (IOException | UncheckedIOException e) {
      throw failure(e);
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
