package io.integrityauditor.store;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.postgresql.PGStatement;

/**
 * A {@code bigint[]} column read into a primitive {@code long[]}. pgjdbc decodes arrays only into
 * boxed {@code Long[]} (its {@code ArrayDecoding} has no primitive decoders, 42.7): the merge of a
 * million kept keys made two million {@code Long} objects (their decoding measured at 90-200 ms per
 * million keys with their first-seen times, against 20-40 ms for this; docs/performance.md). The
 * statements ask pgjdbc for its binary format ({@link #binary}), in which a {@code bigint[]} value
 * is PostgreSQL's {@code array_send} layout: dimensions, a has-nulls flag, the element type, each
 * dimension's length and lower bound, then each element's length and value. Anything else (more
 * dimensions, NULL elements, another type, a value that came as text) is decoded by pgjdbc.
 */
final class LongArrays {
  private static final int INT8 = 20;

  private LongArrays() {}

  /** Results in pgjdbc's binary format already on the statement's first execution. */
  static void binary(PreparedStatement statement) throws SQLException {
    statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
  }

  /** The column's array, or null when the value is NULL. */
  static long[] read(ResultSet rows, int column) throws SQLException {
    byte[] bytes = rows.getBytes(column);
    if (bytes == null) {
      return null;
    }
    long[] decoded = decode(bytes);
    return decoded != null ? decoded : unboxed(rows.getArray(column));
  }

  /** The elements of a one-dimensional {@code bigint[]} without NULLs; else null. */
  static long[] decode(byte[] bytes) {
    try {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      int dimensions = buffer.getInt();
      int hasNulls = buffer.getInt();
      int elementType = buffer.getInt();
      if (hasNulls != 0 || elementType != INT8 || dimensions > 1 || dimensions < 0) {
        return null;
      }
      if (dimensions == 0) {
        return new long[0];
      }
      int length = buffer.getInt();
      buffer.getInt(); // lower bound
      if (length < 0 || buffer.remaining() != length * 12L) {
        return null;
      }
      long[] values = new long[length];
      for (int i = 0; i < length; i++) {
        if (buffer.getInt() != 8) {
          return null;
        }
        values[i] = buffer.getLong();
      }
      return values;
    } catch (BufferUnderflowException e) {
      return null; // not array_send's layout (e.g. text)
    }
  }

  private static long[] unboxed(Array array) throws SQLException {
    Object[] boxed = (Object[]) array.getArray();
    long[] values = new long[boxed.length];
    for (int i = 0; i < boxed.length; i++) {
      values[i] = ((Number) boxed[i]).longValue();
    }
    return values;
  }
}
