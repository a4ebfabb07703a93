package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestClock;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check}'s text for an audit with a grace period ({@code threshold: {max_age}}): how old the
 * oldest violating row is and from when it counts, so that "not breached" is not read as "fine".
 */
class GraceReportTest {
  static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");

  @TempDir Path dir;

  private static final String AUDIT =
      """
      audits:
        - id: aged
          kind: orphan
          child: child.parent_id
          parent: parent.id
          threshold: {max_age: 2d}
      """;

  @Test
  void a_grace_period_says_how_old_the_oldest_violation_is_and_when_it_starts_to_count() {
    // newuser24: "2 violating rows (threshold: any violation violating for more than 2d, not
    // breached)" said nothing of when the alert would come: on-call could not tell a row broken a
    // minute ago from one about to page
    TestPostgres.Database target = TestPostgres.newDatabase("grace_target");
    TestPostgres.Database store = TestPostgres.newDatabase("grace_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent VALUES (1);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child VALUES (1, 1), (2, 7), (3, 8);
        """);
    Audits.run(dir, target, store, AUDIT, "", new TestClock(T0));
    AuditResult oneDay =
        Audits.run(dir, target, store, AUDIT, "", new TestClock(T0.plus(Duration.ofDays(1))))
            .get("aged");
    AuditResult threeDays =
        Audits.run(dir, target, store, AUDIT, "", new TestClock(T0.plus(Duration.ofDays(3))))
            .get("aged");

    assertThat(ResultReport.table(List.of(oneDay)))
        .contains(
            "  2 violating rows (threshold: any violation violating for more than 2d, not"
                + " breached): the oldest has been violating for 1d (since 2026-06-01T00:00:00Z),"
                + " so it counts from 2026-06-03T00:00:00Z; sample keys:\n");
    assertThat(ResultReport.table(List.of(threeDays)))
        .contains(
            "  2 violating rows (threshold: any violation violating for more than 2d, breached):"
                + " the oldest has been violating for 3d (since 2026-06-01T00:00:00Z), so it"
                + " counts from 2026-06-03T00:00:00Z; sample keys:\n");
  }
}
