package io.integrityauditor.audit.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.support.TestPostgres;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link CopyRows#readBinary}, the reader of PostgreSQL's binary COPY format, against a real
 * server: integers of every width, NULLs, empty and multi-byte texts, texts longer than the
 * reader's first buffer, no rows at all, and a statement that fails mid-stream; and the same texts
 * read through the CSV reader, so both ways of reading give the same values.
 */
class CopyRowsTest {
  private static final String AWKWARD =
      """
      SELECT i::bigint AS big, (i * 1000)::int AS mid, i::smallint AS small, t AS text
      FROM (VALUES (1, 'plain'), (-2, ''), (3, NULL), (4, 'ünï € 😀 中文'),
                   (5, 'a,b "quoted" {x} back\\slash' || chr(10) || 'second line'),
                   (6, 'NULL'), (7, repeat('long ü ', 200)))
        AS v(i, t)
      ORDER BY i
      """;

  private static List<List<Object>> readBinary(Connection connection, String sql)
      throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    CopyRows.readBinary(
        connection,
        sql,
        row -> {
          List<Object> values = new ArrayList<>();
          for (int i = 0; i < row.size() - 1; i++) {
            values.add(row.number(i));
          }
          values.add(row.text(row.size() - 1));
          values.add(row.isNull(row.size() - 1));
          rows.add(values);
        });
    return rows;
  }

  @Test
  void integers_nulls_empty_multibyte_and_long_texts_are_read_as_sent() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase("copy_rows_binary");
    try (Connection connection = db.dataSource().getConnection()) {
      List<List<Object>> rows = readBinary(connection, AWKWARD);

      assertThat(rows)
          .containsExactly(
              Arrays.asList(-2L, -2000L, -2L, "", false),
              Arrays.asList(1L, 1000L, 1L, "plain", false),
              Arrays.asList(3L, 3000L, 3L, null, true),
              Arrays.asList(4L, 4000L, 4L, "ünï € 😀 中文", false),
              Arrays.asList(5L, 5000L, 5L, "a,b \"quoted\" {x} back\\slash\nsecond line", false),
              Arrays.asList(6L, 6000L, 6L, "NULL", false),
              Arrays.asList(7L, 7000L, 7L, "long ü ".repeat(200), false));

      // the CSV reader finds the same texts (it tells NULL from an empty text by quoting)
      List<String> csvTexts = new ArrayList<>();
      CopyRows.read(connection, AWKWARD, row -> csvTexts.add(row.get(3)));
      assertThat(csvTexts)
          .containsExactlyElementsOf(rows.stream().map(r -> (String) r.get(3)).toList());
    }
  }

  @Test
  void the_extremes_of_a_bigint_and_a_null_integer() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase("copy_rows_extremes");
    try (Connection connection = db.dataSource().getConnection()) {
      List<Long> values = new ArrayList<>();
      CopyRows.readBinary(
          connection,
          "SELECT v FROM (VALUES ('-9223372036854775808'::bigint), (9223372036854775807), (NULL),"
              + " (0), (-1)) AS t(v)",
          row -> values.add(row.number(0)));
      assertThat(values).containsExactly(Long.MIN_VALUE, Long.MAX_VALUE, null, 0L, -1L);
    }
  }

  @Test
  void a_statement_without_rows_and_many_rows() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase("copy_rows_counts");
    try (Connection connection = db.dataSource().getConnection()) {
      List<Long> none = new ArrayList<>();
      CopyRows.readBinary(
          connection, "SELECT 1::bigint WHERE false", row -> none.add(row.number(0)));
      assertThat(none).isEmpty();

      long[] sum = new long[2];
      CopyRows.readBinary(
          connection,
          "SELECT i, i::text FROM generate_series(1::bigint, 100000::bigint) i",
          row -> {
            sum[0] += row.number(0);
            sum[1] += Long.parseLong(row.text(1));
          });
      assertThat(sum).containsExactly(5_000_050_000L, 5_000_050_000L);
    }
  }

  @Test
  void a_statement_failing_mid_stream_fails_with_its_sqlstate() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase("copy_rows_failure");
    try (Connection connection = db.dataSource().getConnection()) {
      List<Long> read = new ArrayList<>();
      assertThatThrownBy(
              () ->
                  CopyRows.readBinary(
                      connection,
                      "SELECT 100 / (50000 - i) FROM generate_series(1::bigint, 100000::bigint) i",
                      row -> read.add(row.number(0))))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22012"));
    }
  }

  @Test
  void a_stream_without_the_signature_or_with_critical_flags_is_refused() {
    byte[] csv = "1,2\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThatThrownBy(
            () -> CopyRows.readHeader(new DataInputStream(new ByteArrayInputStream(csv))))
        .hasMessageContaining("signature");
    byte[] flagged = {
      'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 1, 0, 0, 0, 0
    };
    assertThatThrownBy(
            () -> CopyRows.readHeader(new DataInputStream(new ByteArrayInputStream(flagged))))
        .hasMessageContaining("critical flags");
  }
}
