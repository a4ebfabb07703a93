package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

/**
 * {@code bigint[]} values read as PostgreSQL sends them in binary, decoded into {@code long[]}: the
 * same elements as pgjdbc's own (boxed) decoding, for every shape the store writes and some it does
 * not (those fall back to pgjdbc).
 */
class LongArraysTest {
  @Test
  void arrays_read_in_binary_are_the_elements_pgjdbc_decodes() throws Exception {
    TestPostgres.Database database = TestPostgres.newDatabase("long_arrays");
    String[] values = {
      "'{}'::bigint[]",
      "ARRAY[42]::bigint[]",
      "ARRAY[-9223372036854775808, 9223372036854775807, 0, -1]::bigint[]",
      "(SELECT array_agg(hashtextextended(i::text, 0) ORDER BY i) FROM generate_series(1, 10000) i)",
      "'[0:2]={7,8,9}'::bigint[]",
      "ARRAY[1, NULL, 3]::bigint[]",
      "'{{1,2},{3,4}}'::bigint[]",
    };
    try (Connection connection = database.dataSource().getConnection()) {
      for (String value : values) {
        try (PreparedStatement statement =
            connection.prepareStatement("SELECT " + value + ", " + value)) {
          LongArrays.binary(statement);
          try (ResultSet rows = statement.executeQuery()) {
            rows.next();
            Object expected = rows.getArray(2).getArray();
            if (value.contains("NULL") || value.contains("{{")) {
              // not the store's shape: left to pgjdbc, which the caller then does not use as longs
              assertThat(LongArrays.decode(rows.getBytes(1))).as(value).isNull();
              continue;
            }
            Long[] boxed = (Long[]) expected;
            long[] read = LongArrays.read(rows, 1);
            assertThat(read).as(value).hasSize(boxed.length);
            for (int i = 0; i < boxed.length; i++) {
              assertThat(read[i]).as(value + " [" + i + "]").isEqualTo(boxed[i]);
            }
          }
        }
      }
      try (PreparedStatement statement =
          connection.prepareStatement("SELECT NULL::bigint[], '{5,6}'::bigint[]")) {
        try (ResultSet rows = statement.executeQuery()) {
          rows.next();
          assertThat(LongArrays.read(rows, 1)).as("NULL").isNull();
        }
      }
    }
    // a value that came as text is not mistaken for the binary layout
    assertThat(LongArrays.decode("{1,2,3}".getBytes(StandardCharsets.US_ASCII))).isNull();
  }
}
