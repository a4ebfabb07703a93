package io.integrityauditor.audit.scan;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
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
    try (Reader text =
            new InputStreamReader(
                new PGCopyInputStream(
                    postgres, "COPY (" + statement(connection, sql) + ") TO STDOUT (FORMAT csv)"),
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
   * The text a prepared statement would send: pgjdbc's own parser turns the JDBC escape ?? (
   * PostgreSQL's ? operator, e.g. jsonb's, as users write it in a sql audit) into ?, as it did when
   * the statement ran through the driver; COPY's text is sent as it is.
   */
  private static String statement(Connection connection, String sql) throws SQLException {
    return Parser.parseJdbcSql(
            sql,
            connection.unwrap(BaseConnection.class).getStandardConformingStrings(),
            true,
            false,
            false,
            false)
        .get(0)
        .nativeSql;
  }

  /** One row of a binary COPY: its columns (0-based) read as the types they were sent in. */
  public interface BinaryRow {
    int size();

    boolean isNull(int column);

    /** An integer column ({@code bigint}, {@code integer}, {@code smallint}); null for NULL. */
    Long number(int column);

    /** A {@code text} column (its bytes in the connection's encoding, UTF-8); null for NULL. */
    String text(int column);
  }

  /** One row of a binary COPY; the row is valid only during the call. */
  @FunctionalInterface
  public interface BinaryHandler {
    void row(BinaryRow row) throws SQLException;
  }

  /**
   * Runs {@code sql} as {@code COPY (query) TO STDOUT (FORMAT binary)} and hands on every row: for
   * a statement of integers and few texts read far more cheaply than CSV (a fingerprint is 8 bytes,
   * no text to split, quote, parse and convert), where a million rows made the reading thread a
   * visible share of the statement (docs/performance.md, sixth session). Every column must be an
   * integer or a text (read with {@link BinaryRow#number} or {@link BinaryRow#text}): a binary COPY
   * sends each type in its own binary form.
   *
   * <p>No maintained Java reader of this format exists (searched: Maven Central, the project's
   * package list; PgBulkInsert writes it only), so this is a small reader of the documented format,
   * https://www.postgresql.org/docs/current/sql-copy.html, section "Binary Format": an 11-byte
   * signature {@code PGCOPY\n\377\r\n\0}, a 32-bit flags field (bit 16: OIDs included, which a COPY
   * of a query never sets; bits 0-15 critical, must be 0), a 32-bit header extension length and
   * that many bytes to skip; then per tuple a 16-bit field count (-1: the trailer, the end of the
   * data) and per field a 32-bit length (-1: NULL) and that many bytes of the type's binary send
   * form; all integers in network byte order.
   */
  public static void readBinary(Connection connection, String sql, BinaryHandler handler)
      throws SQLException {
    PGConnection postgres = connection.unwrap(PGConnection.class);
    try (DataInputStream in =
        new DataInputStream(
            new BufferedInputStream(
                new PGCopyInputStream(
                    postgres,
                    "COPY (" + statement(connection, sql) + ") TO STDOUT (FORMAT binary)"),
                1 << 16))) {
      BinaryTuple tuple = new BinaryTuple();
      readHeader(in);
      while (tuple.read(in)) {
        handler.row(tuple);
      }
    } catch (IOException | UncheckedIOException e) {
      throw failure(e);
    }
  }

  private static final byte[] SIGNATURE = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0
  };

  static void readHeader(DataInputStream in) throws IOException {
    byte[] signature = new byte[SIGNATURE.length];
    int read = in.readNBytes(signature, 0, signature.length);
    if (read < signature.length || !Arrays.equals(signature, SIGNATURE)) {
      throw new IOException("not a binary COPY stream: its signature is missing");
    }
    int flags = in.readInt();
    if ((flags & 0xffff) != 0) {
      throw new IOException("a binary COPY stream with unknown critical flags: " + flags);
    }
    in.skipNBytes(in.readInt());
  }

  /** The fields of one tuple, in one reused buffer: offsets and lengths (-1: NULL). */
  static final class BinaryTuple implements BinaryRow {
    private byte[] data = new byte[256];
    private int[] offsets = new int[8];
    private int[] lengths = new int[8];
    private int size;

    /** Reads the next tuple; false at the trailer. */
    boolean read(DataInputStream in) throws IOException {
      short fields;
      try {
        fields = in.readShort();
      } catch (EOFException e) {
        throw new IOException("the binary COPY stream ended without its trailer", e);
      }
      if (fields == -1) {
        return false;
      }
      if (fields > offsets.length) {
        offsets = new int[fields];
        lengths = new int[fields];
      }
      size = fields;
      int used = 0;
      for (int i = 0; i < fields; i++) {
        int length = in.readInt();
        lengths[i] = length;
        offsets[i] = used;
        if (length > 0) {
          if (used + length > data.length) {
            data = Arrays.copyOf(data, Math.max(2 * data.length, used + length));
          }
          in.readFully(data, used, length);
          used += length;
        }
      }
      return true;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public boolean isNull(int column) {
      return lengths[column] < 0;
    }

    @Override
    public Long number(int column) {
      int at = offsets[column];
      switch (lengths[column]) {
        case -1:
          return null;
        case 8:
          long value = 0;
          for (int i = 0; i < 8; i++) {
            value = (value << 8) | (data[at + i] & 0xff);
          }
          return value;
        case 4:
          return (long)
              (((data[at] & 0xff) << 24)
                  | ((data[at + 1] & 0xff) << 16)
                  | ((data[at + 2] & 0xff) << 8)
                  | (data[at + 3] & 0xff));
        case 2:
          return (long) (short) (((data[at] & 0xff) << 8) | (data[at + 1] & 0xff));
        default:
          throw new IllegalStateException(
              "column " + column + " is not an integer: " + lengths[column] + " bytes");
      }
    }

    @Override
    public String text(int column) {
      int length = lengths[column];
      return length < 0 ? null : new String(data, offsets[column], length, StandardCharsets.UTF_8);
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
