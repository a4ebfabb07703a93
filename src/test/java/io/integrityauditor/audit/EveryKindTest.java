package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every kind shares: the result shape, thresholds (absolute and ratio) and severities. */
class EveryKindTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("every_kind");
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY, grp text);
        INSERT INTO parent SELECT i, 'g' || (i % 2) FROM generate_series(1, 10) i;
        -- 10 rows, 2 of each kind of problem: orphans 11, 12; duplicate codes; bad status;
        -- missing note when flagged; type 'x' unknown; group differs from the parent's
        CREATE TABLE child (id int PRIMARY KEY, parent_id int, code text, status text,
                            flagged boolean, note text, type text, grp text);
        INSERT INTO child SELECT i, CASE WHEN i > 8 THEN i + 2 ELSE i END, 'c' || i, 'ok', false,
                                 NULL, 'parent', 'g' || (i % 2)
          FROM generate_series(1, 10) i;
        UPDATE child SET code = 'dup' WHERE id IN (1, 2);
        UPDATE child SET status = 'bad' WHERE id IN (3, 4);
        UPDATE child SET flagged = true WHERE id IN (5, 6);
        UPDATE child SET type = 'x' WHERE id IN (7, 8);
        UPDATE child SET grp = 'other' WHERE id IN (1, 3);
        """);
  }

  /** Two violations out of ten rows for each kind (the schema audit: two items of ten). */
  private static final String[] KINDS = {
    "kind: orphan\n    child: child.parent_id\n    parent: parent.id",
    "kind: unique\n    table: child\n    columns: [code]",
    "kind: consistent\n    child: child.parent_id\n    parent: parent.id\n    equal: [grp]",
    "kind: accepted_values\n    table: child\n    column: status\n    values: [ok]",
    "kind: required_when\n    table: child\n    when: {flagged: true}\n    present: [note]",
    "kind: polymorphic\n    table: child\n    type_column: type\n    id_column: parent_id\n"
        + "    parents: {parent: parent.id}\n    unknown_types: ignore",
    "kind: schema\n    tables: [parent, child, missing]\n"
        + "    columns: {child: [id, code, status, type, grp, note, nope]}\n"
        + "    type_alignment: none",
    "kind: sql\n    sql: SELECT id FROM child WHERE id <= 2\n    key_columns: [id]\n"
        + "    allow_privileged_role: true\n"
        + "    rows_checked: child",
  };

  private Map<String, AuditResult> run(String threshold) {
    StringBuilder yaml = new StringBuilder("audits:\n");
    for (int i = 0; i < KINDS.length; i++) {
      String kind = KINDS[i];
      yaml.append("  - id: k")
          .append(i)
          .append("\n    severity: warn\n    ")
          .append(threshold)
          .append("\n    ")
          .append(kind)
          .append('\n');
    }
    return Audits.run(dir, db, yaml.toString());
  }

  @Test
  void every_kind_reports_violations_rows_checked_and_samples_in_the_same_shape() {
    Map<String, AuditResult> results = run("threshold: {max_violations: 0}");
    assertThat(results).hasSize(KINDS.length);
    results.forEach(
        (id, result) -> {
          assertThat(result.status()).as(id + " " + result.error()).isEqualTo(RunStatus.VIOLATIONS);
          assertThat(result.audit().severity()).isEqualTo(Severity.WARN);
          assertThat(result.measurement().orElseThrow().samples()).as(id).isNotEmpty();
          assertThat(result.thresholdBreached()).as(id).isTrue();
        });
    assertThat(results.get("k0").measurement().orElseThrow().violations()).isEqualTo(2);
    assertThat(results.get("k1").measurement().orElseThrow().violations()).isEqualTo(2);
    assertThat(results.get("k2").measurement().orElseThrow().violations()).isEqualTo(2);
    assertThat(results.get("k3").measurement().orElseThrow().violations()).isEqualTo(2);
    assertThat(results.get("k4").measurement().orElseThrow().rowsChecked()).isEqualTo(2);
    assertThat(results.get("k6").measurement().orElseThrow().rowsChecked()).isEqualTo(10);
    assertThat(results.get("k7").measurement().orElseThrow().rowsChecked()).isEqualTo(10);
  }

  @Test
  void an_absolute_threshold_tolerates_that_many_violations_for_every_kind() {
    run("threshold: {max_violations: 2}")
        .forEach((id, result) -> assertThat(result.thresholdBreached()).as(id).isFalse());
  }

  @Test
  void a_ratio_threshold_compares_violations_with_rows_checked_for_every_kind() {
    Map<String, AuditResult> results = run("threshold: {max_ratio: 0.25}");
    results.forEach(
        (id, result) -> {
          var m = result.measurement().orElseThrow();
          assertThat(result.thresholdBreached())
              .as(id + ": " + m.violations() + "/" + m.rowsChecked())
              .isEqualTo((double) m.violations() / m.rowsChecked() > 0.25);
        });
    // required_when checks only the 2 flagged rows, both violate: 100%
    assertThat(results.get("k4").thresholdBreached()).isTrue();
    assertThat(results.get("k0").thresholdBreached()).isFalse();
  }
}
