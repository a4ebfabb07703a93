package io.integrityauditor.audit;

import static io.integrityauditor.support.Results.rowsChecked;
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

/** {@code kind: polymorphic}: a type column chooses the parent table. */
class PolymorphicAuditTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("polymorphic_kind");
    db.execute(
        """
        CREATE SCHEMA provisioning;
        CREATE TABLE provisioning.servers (id text PRIMARY KEY);
        CREATE TABLE provisioning.web_services (id text PRIMARY KEY);
        CREATE TABLE provisioning.domains (id text PRIMARY KEY, deleted boolean NOT NULL);
        CREATE TABLE provisioning.databases (id uuid PRIMARY KEY);
        INSERT INTO provisioning.servers VALUES ('s1'), ('s2');
        INSERT INTO provisioning.web_services VALUES ('w1');
        INSERT INTO provisioning.domains VALUES ('d1', false), ('d2', true);
        CREATE TABLE provisioning.events (id int PRIMARY KEY, resource_type text, resource_id text,
                                          kind int);
        INSERT INTO provisioning.events VALUES
          (1, 'server', 's1', 1), (2, 'server', 's9', 1),      -- s9 does not exist
          (3, 'web_service', 'w1', 1), (4, 'web_service', 's1', 2),  -- s1 is no web service
          (5, 'domain', 'd1', 2), (6, 'domain', 'd2', 2),      -- d2 is deleted
          (7, 'dns_record', 'x1', 2),                          -- unknown type
          (8, NULL, 's1', 2), (9, 'server', NULL, 2);          -- NULLs
        CREATE TABLE provisioning.links (id int PRIMARY KEY, kind int, a text, b text);
        CREATE TABLE provisioning.pairs (a text, b text, PRIMARY KEY (a, b));
        INSERT INTO provisioning.pairs VALUES ('x', 'y');
        INSERT INTO provisioning.links VALUES (1, 1, 'x', 'y'), (2, 1, 'x', 'z');
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

  private static final String EVENTS =
      """
      - id: t
        kind: polymorphic
        table: provisioning.events
        type_column: resource_type
        id_column: resource_id
        parents:
          server: provisioning.servers.id
          web_service: provisioning.web_services.id
          domain: provisioning.domains.id
      """;

  @Test
  void each_row_must_find_its_id_in_the_table_its_type_names() {
    AuditResult result = run(EVENTS);
    assertThat(violations(result)).isEqualTo(3); // 2, 4, 7
    assertThat(rowsChecked(result)).isEqualTo(9);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "2", "resource_type", "server", "resource_id", "s9"),
            Map.of("id", "4", "resource_type", "web_service", "resource_id", "s1"),
            Map.of("id", "7", "resource_type", "dns_record", "resource_id", "x1"));
  }

  @Test
  void unknown_types_can_be_ignored() {
    assertThat(violations(run(EVENTS + "  unknown_types: ignore\n"))).isEqualTo(2);
  }

  @Test
  void null_types_and_ids_are_violations_when_the_audit_says_so() {
    assertThat(violations(run(EVENTS + "  nulls: violation\n"))).isEqualTo(5);
  }

  @Test
  void a_parent_filter_makes_a_filtered_out_parent_missing_and_the_child_filter_scopes() {
    AuditResult result =
        run(
            """
            - id: t
              kind: polymorphic
              table: provisioning.events
              where: {kind: 2}
              type_column: resource_type
              id_column: resource_id
              parents:
                server: provisioning.servers.id
                web_service: provisioning.web_services.id
                domain: {table: provisioning.domains, column: id, where: {deleted: false}}
            """);
    assertThat(violations(result)).isEqualTo(3); // 4, 6, 7
    assertThat(rowsChecked(result)).isEqualTo(6);
  }

  @Test
  void composite_ids_pair_up_with_the_parent_columns() {
    AuditResult result =
        run(
            """
            - id: t
              kind: polymorphic
              table: provisioning.links
              type_column: kind
              id_columns: [a, b]
              parents:
                1: {table: provisioning.pairs, columns: [a, b]}
            """);
    assertThat(violations(result)).isEqualTo(1);
    assertThat(samples(result)).containsExactly(Map.of("id", "2", "kind", "1", "a", "x", "b", "z"));
  }

  @Test
  void a_parent_key_of_another_type_counts_as_a_mismatch_and_is_warned_about() {
    String yaml =
        """
        audits:
          - id: t
            kind: polymorphic
            table: provisioning.events
            type_column: resource_type
            id_column: resource_id
            where: {id: 1}
            parents:
              server: provisioning.servers.id
              database: provisioning.databases.id
        """;
    AuditResult result = Audits.run(dir, db, yaml).get("t");
    assertThat(result.status()).isEqualTo(RunStatus.VIOLATIONS);
    assertThat(violations(result)).isEqualTo(1);
    assertThat(samples(result))
        .containsExactly(Map.of("type_mismatch", "events.resource_id text <> databases.id uuid"));
    assertThat(Audits.warnings(dir, db, yaml))
        .singleElement()
        .asString()
        .startsWith(file() + ":10: warning: audit 't': key 'parents.database': type mismatch:");
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            problems(
                """
                - id: t
                  kind: polymorphic
                  table: provisioning.events
                  type_column: resource_typ
                  id_column: resource_id
                  parents:
                    server: provisioning.server.id
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'type_column': column events.resource_typ does not exist"
                + " (did you mean resource_type?)",
            file()
                + ":8: audit 't': key 'parents.server.table': table provisioning.server does not"
                + " exist (did you mean provisioning.servers?)");
    assertThat(
            problems(
                """
                - id: t
                  kind: polymorphic
                  table: provisioning.links
                  type_column: kind
                  id_columns: [a, b]
                  parents:
                    pair: {table: provisioning.pairs, columns: [a, b]}
                """))
        .containsExactly(
            file()
                + ":8: audit 't': key 'parents.pair': value 'pair' does not fit column links.kind"
                + " (integer): expected a whole number");
    assertThat(
            problems(
                """
                - id: t
                  kind: polymorphic
                  table: provisioning.events
                  type_column: resource_type
                  id_column: resource_id
                """))
        .containsExactly(
            file()
                + ":2: audit 't': key 'parents': is required: type value → parent, e.g. {server:"
                + " provisioning.servers.id}");
  }
}
