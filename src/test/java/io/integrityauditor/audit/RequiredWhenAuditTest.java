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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kind: required_when}: conditional presence and absence of columns. */
class RequiredWhenAuditTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("required_when_kind");
    db.execute(
        """
        CREATE TABLE servers (id text PRIMARY KEY, provisioning_source text, sst_resource_id text,
                              sst_stack_name text);
        INSERT INTO servers VALUES
          ('s1', 'sst', 'r1', 'st1'),
          ('s2', 'sst', NULL, 'st1'),     -- violation: no resource id
          ('s3', 'sst', 'r3', NULL),      -- violation: no stack
          ('s4', 'sst', NULL, NULL),      -- violation: neither
          ('s5', 'sst', '', 'st5'),       -- an empty string is present
          ('s6', 'api', NULL, NULL),
          ('s7', 'manual', 'r7', NULL),   -- manual resources have no SST id
          ('s8', NULL, NULL, NULL);
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

  @Test
  void sst_resources_need_their_sst_ids() {
    AuditResult result =
        run(
            """
            - id: t
              kind: required_when
              table: servers
              when: {provisioning_source: sst}
              present: [sst_resource_id, sst_stack_name]
            """);
    assertThat(violations(result)).isEqualTo(3);
    assertThat(rowsChecked(result)).as("rows matching when").isEqualTo(5);
    assertThat(samples(result))
        .containsExactly(
            sample("id", "s2", "sst_resource_id", null, "sst_stack_name", "st1"),
            sample("id", "s3", "sst_resource_id", "r3", "sst_stack_name", null),
            sample("id", "s4", "sst_resource_id", null, "sst_stack_name", null));
  }

  @Test
  void absent_columns_must_be_null_when_the_condition_holds() {
    AuditResult result =
        run(
            """
            - id: t
              kind: required_when
              table: servers
              when: {provisioning_source: [api, manual]}
              absent: [sst_resource_id]
            """);
    assertThat(violations(result)).isEqualTo(1);
    assertThat(rowsChecked(result)).isEqualTo(2);
  }

  @Test
  void without_when_every_row_must_comply_and_null_sources_count() {
    AuditResult result =
        run(
            """
            - id: t
              kind: required_when
              table: servers
              present: provisioning_source
            """);
    assertThat(violations(result)).isEqualTo(1);
    assertThat(rowsChecked(result)).isEqualTo(8);
  }

  @Test
  void complying_rows_report_zero() {
    AuditResult result =
        run(
            """
            - id: t
              kind: required_when
              table: servers
              when: {provisioning_source: api}
              absent: [sst_resource_id, sst_stack_name]
            """);
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(rowsChecked(result)).isEqualTo(1);
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            problems(
                """
                - id: t
                  kind: required_when
                  table: servers
                  when: {provisioning_source: sst}
                """))
        .containsExactly(
            file()
                + ":2: audit 't': key 'present': is required (or absent): the columns that must be"
                + " present when 'when' holds");
    assertThat(
            problems(
                """
                - id: t
                  kind: required_when
                  table: servers
                  when: {provisioning: sst}
                  present: [sst_resource]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'when.provisioning': column servers.provisioning does not"
                + " exist (did you mean provisioning_source?)",
            file()
                + ":6: audit 't': key 'present': column servers.sst_resource does not exist (did"
                + " you mean sst_resource_id?)");
    assertThat(
            problems(
                """
                - id: t
                  kind: required_when
                  table: servers
                  present: [sst_stack_name]
                  absent: [sst_stack_name]
                """))
        .containsExactly(
            file()
                + ":6: audit 't': key 'absent': column sst_stack_name cannot be both present and"
                + " absent");
  }
}
