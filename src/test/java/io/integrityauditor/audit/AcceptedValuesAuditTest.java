package io.integrityauditor.audit;

import static io.integrityauditor.support.Results.rowsChecked;
import static io.integrityauditor.support.Results.sample;
import static io.integrityauditor.support.Results.samples;
import static io.integrityauditor.support.Results.violations;
import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kind: accepted_values}: values outside an allowed set, with an explicit NULL policy. */
class AcceptedValuesAuditTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("accepted_values_kind");
    db.execute(
        """
        CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
        CREATE TABLE config_versions (id int PRIMARY KEY, status text, level int, mood mood,
                                      workspace text NOT NULL);
        INSERT INTO config_versions VALUES
          (1, 'DRAFT', 1, 'happy', 'w1'), (2, 'ACTIVE', 2, 'sad', 'w1'),
          (3, 'ARCHIVED', 3, 'meh', 'w1'),
          (4, 'SUPERSEDED', 5, 'happy', 'w2'),   -- not an allowed status, level 5 too high
          (5, 'active', NULL, NULL, 'w2'),       -- case matters
          (6, NULL, 1, 'happy', 'w2'), (7, NULL, 2, 'sad', 'w1');
        """);
  }

  private AuditResult run(String audit) {
    return Audits.run(dir, db, "audits:\n" + audit.stripIndent()).get("t");
  }

  private List<String> problems(String audit) {
    return Audits.problems(dir, db, "audits:\n" + audit.stripIndent());
  }

  private String file() {
    return dir.resolve("audits/test.yaml").toString();
  }

  private static final String STATUS =
      """
      - id: t
        kind: accepted_values
        table: config_versions
        column: status
        values: [DRAFT, ACTIVE, ARCHIVED]
      """;

  @Test
  void values_outside_the_set_are_violations_and_null_is_allowed_by_default() {
    AuditResult result = run(STATUS);
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result)).isEqualTo(7);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "4", "status", "SUPERSEDED"), Map.of("id", "5", "status", "active"));
  }

  @Test
  void nulls_violation_counts_null_as_well() {
    AuditResult result = run(STATUS + "  nulls: violation\n");
    assertThat(violations(result)).isEqualTo(4);
    assertThat(samples(result)).contains(sample("id", "6", "status", null));
  }

  @Test
  void the_filter_limits_the_rows_checked() {
    AuditResult result = run(STATUS + "  where: {workspace: w1}\n");
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(violations(result)).isZero();
    assertThat(rowsChecked(result)).isEqualTo(4);
  }

  @Test
  void values_are_compared_in_the_columns_type() {
    AuditResult numbers =
        run(
            """
            - id: t
              kind: accepted_values
              table: config_versions
              column: level
              values: [1, 2, 3]
            """);
    assertThat(violations(numbers)).isEqualTo(1);
    // an enum is compared by its labels' text: 'angry' is no label, and no cast error either
    AuditResult moods =
        run(
            """
            - id: t
              kind: accepted_values
              table: config_versions
              column: mood
              values: [happy, sad, angry]
            """);
    assertThat(violations(moods)).isEqualTo(1);
    assertThat(samples(moods)).containsExactly(Map.of("id", "3", "mood", "meh"));
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            problems(
                """
                - id: t
                  kind: accepted_values
                  table: config_versions
                  column: level
                  values: [1, two]
                """))
        .containsExactly(
            file()
                + ":6: audit 't': key 'values': value 'two' does not fit column"
                + " config_versions.level (integer): expected a whole number");
    assertThat(
            problems(
                """
                - id: t
                  kind: accepted_values
                  table: config_versions
                  column: state
                  values: [A]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'column': column config_versions.state does not exist (did"
                + " you mean status?)");
    assertThat(
            problems(
                """
                - id: t
                  kind: accepted_values
                  table: config_versions
                  column: status
                  values: [A, null]
                """))
        .containsExactly(
            file()
                + ":6: audit 't': key 'values': null is not a value: NULL is allowed by default"
                + " (nulls: allowed)");
    assertThat(
            problems(
                """
                - id: t
                  kind: accepted_values
                  table: config_versions
                  column: status
                """))
        .containsExactly(
            file() + ":2: audit 't': key 'values': is required: the list of allowed values");
    assertThat(
            problems(
                """
                - id: t
                  kind: accepted_values
                  column: config_versions.status
                  values: [A]
                """))
        .containsExactly(
            file()
                + ":2: audit 't': key 'table': is required: this kind takes the table and the"
                + " column separately; write table: config_versions and column: status");
  }
}
