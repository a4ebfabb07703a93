package io.integrityauditor.audit.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** COPY's CSV as PostgreSQL writes it, read back as the query's values (docs/performance.md). */
class CopyRowsTest {
  private static TestPostgres.Database db;

  @BeforeAll
  static void database() {
    db = TestPostgres.newDatabase("copy_rows");
  }

  private static List<List<String>> read(String sql, int columns) throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection()) {
      CopyRows.read(
          connection,
          sql,
          row -> {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < columns; i++) {
              values.add(row.get(i));
            }
            rows.add(values);
          });
    }
    return rows;
  }

  @Test
  void null_and_empty_texts_quotes_delimiters_line_breaks_and_multibyte_text_read_as_written()
      throws SQLException {
    String[] texts = {
      "",
      "NULL",
      "\\N",
      "a,b",
      "say \"hi\"",
      "line\nbreak",
      "cr\r\nlf",
      "{1,2}",
      "back\\slash",
      "über ✓ 日本",
      " spaced ",
      "\"",
      ",",
      "x".repeat(100_000)
    };
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < texts.length; i++) {
      values
          .append(i == 0 ? "" : ", ")
          .append("(")
          .append(i)
          .append(", $t$")
          .append(texts[i])
          .append("$t$)");
    }
    List<List<String>> rows =
        read(
            "SELECT n, t, NULL::text, n::bigint * 1000000000000 FROM (VALUES "
                + values
                + ", (99, NULL)) v(n, t) ORDER BY n",
            4);
    assertThat(rows).hasSize(texts.length + 1);
    for (int i = 0; i < texts.length; i++) {
      assertThat(rows.get(i))
          .containsExactly(String.valueOf(i), texts[i], null, String.valueOf(i * 1000000000000L));
    }
    assertThat(rows.get(texts.length)).containsExactly("99", null, null, "99000000000000");
  }

  @Test
  void a_row_of_one_null_column_and_of_one_empty_text() throws SQLException {
    assertThat(read("SELECT t FROM (VALUES (1, NULL), (2, ''), (3, 'x')) v(n, t) ORDER BY n", 1))
        .containsExactly(Arrays.asList((String) null), List.of(""), List.of("x"));
  }

  @Test
  void no_rows_and_many_rows() throws SQLException {
    assertThat(read("SELECT 1 WHERE false", 1)).isEmpty();
    long[] sum = {0, 0};
    try (Connection connection = db.dataSource().getConnection()) {
      CopyRows.read(
          connection,
          "SELECT i, CASE WHEN i % 2 = 0 THEN NULL ELSE i END, 'k' || i"
              + " FROM generate_series(1, 200000) i",
          row -> {
            sum[0] += Long.parseLong(row.get(0));
            sum[1] += row.get(1) == null ? 0 : 1;
            assertThat(row.get(2)).isEqualTo("k" + row.get(0));
          });
    }
    assertThat(sum).containsExactly(200000L * 200001 / 2, 100000L);
  }

  @Test
  void a_statement_failing_mid_stream_fails_with_its_sqlstate() {
    List<String> seen = new ArrayList<>();
    assertThatThrownBy(
            reading(
                "SELECT 100 / (50000 - i) FROM generate_series(1, 100000) i",
                row -> seen.add(row.get(0))))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("22012"));
  }

  @Test
  void the_handlers_own_failures_go_on_as_they_were() {
    assertThatThrownBy(
            reading(
                "SELECT i FROM generate_series(1, 10) i",
                row -> {
                  throw new SQLException("stop", "57014");
                }))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57014"));
    assertThatThrownBy(
            reading(
                "SELECT i FROM generate_series(1, 10) i",
                row -> {
                  throw new IllegalStateException("the handler's");
                }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the handler's");
    assertThatThrownBy(reading("SELECT 1, 2", row -> row.get(2)))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  /** Reads {@code sql} through {@link CopyRows#read} on a connection of its own. */
  private static ThrowingCallable reading(String sql, CopyRows.Handler handler) {
    return () -> {
      try (Connection connection = db.dataSource().getConnection()) {
        CopyRows.read(connection, sql, handler);
      }
    };
  }
}
