package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes in audit files: each named with file, line, audit, key and what to do. */
class AuditValidationTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("validation");
    db.execute(
        """
        CREATE TABLE workflow_instances (id text PRIMARY KEY, config_version_id text, workspace_id text);
        CREATE TABLE config_versions (id text PRIMARY KEY);
        CREATE TABLE workspaces (id uuid PRIMARY KEY);
        """);
  }

  private List<String> problems(String yaml) {
    return Audits.problems(dir, db, yaml.stripIndent());
  }

  private String file() {
    return dir.resolve("audits/test.yaml").toString();
  }

  @Test
  void a_side_key_written_at_the_audit_level_says_to_indent_it_under_the_side() {
    // newuser23: a child filter indented two spaces short was "unknown key; known keys here:" and
    // 25 keys of the audit, none of them where
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child:
                      table: workflow_instances
                      columns: [config_version_id]
                    where: {workspace_id: null}
                    parent: config_versions.id
                """))
        .singleElement()
        .asString()
        .startsWith(
            file()
                + ":7: audit 'wi_config': key 'where': unknown key at this level; it is a key of"
                + " child: indent it under child (two more spaces); known keys here: ");
  }

  @Test
  void a_filter_next_to_a_side_written_as_table_dot_column_says_how_to_write_the_side() {
    // newuser25: "where: unknown key; known keys here: child, ..." for a parent filter written
    // next to `parent: accounts.id`, the shorthand that has no place for it
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                    where: {status: ACTIVE}
                """))
        .singleElement()
        .asString()
        .startsWith(
            file()
                + ":6: audit 'wi_config': key 'where': unknown key at this level; it is a key of"
                + " child and parent, written here as table.column: write the side it filters as"
                + " a mapping, e.g. parent: {table: config_versions, columns: [id], where:"
                + " {...}}; known keys here: ");
  }

  @Test
  void unknown_column_names_file_line_audit_key_and_a_suggestion() {
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child:
                      table: workflow_instances
                      columns: [config_id]
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":6: audit 'wi_config': key 'child.columns': column"
                + " workflow_instances.config_id does not exist (did you mean config_version_id?)");
  }

  @Test
  void unknown_table_is_reported_with_the_closest_name() {
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child: workflow_instance.config_version_id
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":4: audit 'wi_config': key 'child.table': table workflow_instance does not"
                + " exist in the search path (public) (did you mean workflow_instances?)");
  }

  @Test
  void a_table_of_another_schema_named_without_it_says_which_schema_has_it() {
    db.execute(
        """
        CREATE SCHEMA history;
        CREATE TABLE history.config_events (id int PRIMARY KEY, config_version_id text);
        """);
    assertThat(
            problems(
                """
                audits:
                  - id: events
                    kind: orphan
                    child: config_events.config_version_id
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":4: audit 'events': key 'child.table': table config_events does not exist in the"
                + " search path (public); history.config_events does: write the table with its"
                + " schema");
  }

  @Test
  void unknown_keys_are_rejected_with_the_closest_known_key() {
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                    severty: warn
                """))
        .singleElement()
        .asString()
        .startsWith(
            file() + ":6: audit 'wi_config': key 'severty': unknown key (did you mean severity?)");
  }

  @Test
  void duplicate_ids_are_rejected() {
    assertThat(
            problems(
                """
                audits:
                  - id: same
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                  - id: same
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":6: audit 'same': key 'id': duplicate audit id (first defined at "
                + file()
                + ":2); ids must be unique");
  }

  @Test
  void a_type_mismatch_is_explained_instead_of_failing_at_query_time() {
    String yaml =
        """
        audits:
          - id: ws
            kind: orphan
            child: workflow_instances.workspace_id
            parent: workspaces.id
        """
            .stripIndent();
    // not an error: validate warns, and every run counts the mismatch as a violation
    assertThat(problems(yaml)).isEmpty();
    assertThat(Audits.warnings(dir, db, yaml))
        .containsExactly(
            file()
                + ":4: warning: audit 'ws': key 'child.columns': type mismatch:"
                + " workflow_instances.workspace_id is text but workspaces.id is uuid; each run"
                + " counts it as 1 violation and compares the values as text. Give the reference"
                + " its key's type (a foreign key needs identical types)");
    AuditResult result = Audits.run(dir, db, yaml).get("ws");
    Measurement measurement = result.measurement().orElseThrow();
    assertThat(measurement.violations()).isEqualTo(1);
    assertThat(measurement.rowsChecked()).isZero();
    assertThat(measurement.samples())
        .containsExactly(
            new SampleKey(
                Map.of(
                    "type_mismatch",
                    "workflow_instances.workspace_id text <> workspaces.id uuid")));
    assertThat(measurement.notes())
        .containsExactly(
            "type mismatch: workflow_instances.workspace_id is text but workspaces.id is uuid;"
                + " compared as text");
  }

  @Test
  void a_missing_parent_and_an_unknown_kind_are_both_reported() {
    assertThat(
            problems(
                """
                audits:
                  - id: a
                    kind: orphan
                    child: workflow_instances.config_version_id
                  - id: b
                    kind: orphans
                """))
        .containsExactly(
            file() + ":2: audit 'a': key 'parent': is required: give table and columns",
            file()
                + ":6: audit 'b': key 'kind': must be one of orphan, unique, consistent,"
                + " accepted_values, required_when, polymorphic, schema, sql, found 'orphans' (did"
                + " you mean orphan?)");
  }

  @Test
  void wrong_value_types_are_named() {
    assertThat(
            problems(
                """
                audits:
                  - id: a
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                    timeout: soon
                    sample_size: -1
                """))
        .containsExactly(
            file()
                + ":6: audit 'a': key 'timeout': expected a duration like 30s, 5m, 1h30m or 250ms,"
                + " found 'soon'",
            file() + ":7: audit 'a': key 'sample_size': must be between 0 and 1000, found -1");
  }

  @Test
  void a_key_one_space_short_of_its_siblings_names_its_line_and_says_what_to_check() {
    // a new user's slip: before, "t.yaml:4: invalid YAML: while parsing a block collection"
    assertThat(
            problems(
                "audits:\n  - id: a\n    kind: orphan\n   child: workflow_instances.config_version_id\n"
                    + "    parent: config_versions.id\n"))
        .containsExactly(
            file()
                + ":4: invalid YAML: expected <block end>, but found '<block mapping start>' (while"
                + " parsing a block collection that starts at line 2); check the indentation of"
                + " line 4 against the lines above it, and that every key's ':' is followed by a"
                + " space");
  }

  @Test
  void a_reference_to_part_of_a_tenant_key_warns_that_another_tenant_s_row_counts_as_found() {
    // newuser22 (Zitadel): user ids are unique per instance only, auth.users is keyed (id,
    // instance_id); "tokens.user_id -> users.id" found 0 orphans where 7 tokens point at no user
    // of their own instance (a user of another instance has the id)
    db.execute(
        """
        CREATE SCHEMA IF NOT EXISTS tenancy;
        CREATE TABLE tenancy.users (id text, instance_id text, PRIMARY KEY (id, instance_id));
        CREATE TABLE tenancy.tokens (id text PRIMARY KEY, instance_id text, user_id text);
        CREATE TABLE tenancy.notes (id int PRIMARY KEY, user_id text);
        CREATE TABLE tenancy.events (instance_id text, aggregate_type text, aggregate_id text,
          seq bigint, PRIMARY KEY (instance_id, aggregate_type, aggregate_id, seq));
        """);
    String yaml =
        """
        audits:
          - id: tokens.user
            kind: orphan
            child: tenancy.tokens.user_id
            parent: tenancy.users.id
          - id: tokens.user_in_instance
            kind: orphan
            child: {table: tenancy.tokens, columns: [instance_id, user_id]}
            parent: {table: tenancy.users, columns: [instance_id, id]}
          - id: notes.user
            kind: orphan
            child: tenancy.notes.user_id
            parent: tenancy.users.id
          - id: events.aggregate
            kind: polymorphic
            table: tenancy.events
            type_column: aggregate_type
            id_column: aggregate_id
            parents:
              user: tenancy.users.id
        """
            .stripIndent();
    assertThat(problems(yaml)).isEmpty();
    // only where the child has the key's other column: notes have no instance to compare
    assertThat(Audits.warnings(dir, db, yaml))
        .containsExactly(
            file()
                + ":5: warning: audit 'tokens.user': key 'parent.columns': tenancy.users(id) is not"
                + " unique (its key is (id, instance_id)) and tenancy.tokens has instance_id too:"
                + " a row counts as found when any instance_id has that id, so a reference into"
                + " another instance_id is not seen. If the reference stays within its instance_id,"
                + " write both: child: {table: tenancy.tokens, columns: [instance_id, user_id]},"
                + " parent: {table: tenancy.users, columns: [instance_id, id]}",
            // suggest wrote this one for Zitadel's event store: 2 found of 8
            file()
                + ":20: warning: audit 'events.aggregate': key 'parents.user': tenancy.users(id) is"
                + " not unique (its key is (id, instance_id)) and tenancy.events has instance_id"
                + " too: a row counts as found when any instance_id has that id, so a reference"
                + " into another instance_id is not seen. If the reference stays within its"
                + " instance_id, write both: id_columns: [instance_id, aggregate_id], parent:"
                + " {table: tenancy.users, columns: [instance_id, id]}");
  }

  @Test
  void invalid_yaml_names_the_line() {
    assertThat(problems("audits:\n  - id: a\n    kind: [orphan\n"))
        .singleElement()
        .asString()
        .startsWith(file() + ":3: invalid YAML:");
  }

  @Test
  void a_schema_the_role_may_not_use_is_a_warning_naming_the_grants_and_runs_ask_for_usage() {
    // the README's grants name schema public only: a new user's audits of schema temporal passed
    // validate, and every run failed with "permission denied for schema temporal (grant SELECT on
    // ...)", a grant that does not help without USAGE on the schema
    db.execute(
        """
        CREATE SCHEMA ledger;
        CREATE TABLE ledger.accounts (id int PRIMARY KEY);
        CREATE TABLE ledger.entries (id int PRIMARY KEY, account_id int);
        INSERT INTO ledger.accounts VALUES (1);
        INSERT INTO ledger.entries VALUES (1, 1), (2, 9);
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'validation_public_only') THEN
            CREATE ROLE validation_public_only LOGIN;
          END IF;
        END $$;
        GRANT USAGE ON SCHEMA public TO validation_public_only;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO validation_public_only;
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/test.yaml",
        """
        audits:
          - id: entries.account
            kind: orphan
            child: ledger.entries.account_id
            parent: ledger.accounts.id
          - id: entries.unique
            kind: unique
            table: ledger.entries
            columns: [account_id]
          - id: instances.config
            kind: orphan
            child: workflow_instances.config_version_id
            parent: config_versions.id
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: "
                + db.url()
                + "\n    user: validation_public_only\naudits:\n  - audits/*.yaml\n");
    try (Auditor auditor = Auditor.open(workspace.load(config), Clock.systemUTC())) {
      List<Audit> audits = auditor.loadAudits().audits();
      Auditor.Binding binding = auditor.bind(audits);

      assertThat(binding.problems()).isEmpty();
      // once per schema, not once per side of every audit (newuser21: 15 lines for 8 audits of one
      // schema), at the first place that reads it, naming every table and how many audits fail
      assertThat(
              binding.bound().stream()
                  .flatMap(b -> b.warnings().stream())
                  .map(ConfigProblem::formatWarning))
          .containsExactly(
              file()
                  + ":4: warning: audit 'entries.account': key 'child.table': role"
                  + " validation_public_only cannot read schema ledger (ledger.entries,"
                  + " ledger.accounts), so every run of the 2 audits reading it fails; grant it:"
                  + " GRANT USAGE ON SCHEMA \"ledger\" TO \"validation_public_only\"; GRANT SELECT"
                  + " ON ALL TABLES IN SCHEMA \"ledger\" TO \"validation_public_only\";"
                  + " (docs/configuration.md, \"The least-privilege role\")");
      Map<String, AuditResult> results = new java.util.HashMap<>();
      auditor
          .runAll(binding, audits, RunTrigger.CHECK)
          .forEach(r -> results.put(r.audit().id(), r));
      assertThat(results.get("instances.config").status()).isEqualTo(RunStatus.OK);
      assertThat(results.get("entries.account").status()).isEqualTo(RunStatus.ERROR);
      assertThat(results.get("entries.account").error().orElseThrow().message())
          .contains("permission denied for schema ledger")
          .endsWith(
              "(grant USAGE on schema ledger and SELECT on ledger.entries, ledger.accounts to the"
                  + " audit role)");
    }
  }

  @Test
  void a_role_without_usage_on_the_search_path_schema_is_told_the_grants_once_not_to_qualify() {
    // newuser23: a role without USAGE on public has an empty effective search path, and validate
    // said, for each of 20 sides, "table events does not exist in the search path (); public.events
    // does: write the table with its schema": advice that does not help, the grants would
    TestPostgres.Database bare = TestPostgres.newDatabase("validation_no_usage");
    bare.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO parent VALUES (1);
        INSERT INTO child VALUES (1, 1), (2, 9);
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'validation_no_usage') THEN
            CREATE ROLE validation_no_usage LOGIN;
          END IF;
        END $$;
        REVOKE ALL ON SCHEMA public FROM PUBLIC;
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/test.yaml",
        """
        audits:
          - id: child.parent
            kind: orphan
            child: child.parent_id
            parent: parent.id
          - id: child.unique
            kind: unique
            table: child
            columns: [parent_id]
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: "
                + bare.url()
                + "\n    user: validation_no_usage\naudits:\n  - audits/*.yaml\n");
    try (Auditor auditor = Auditor.open(workspace.load(config), Clock.systemUTC())) {
      List<Audit> audits = auditor.loadAudits().audits();
      Auditor.Binding binding = auditor.bind(audits);

      assertThat(binding.problems()).isEmpty();
      assertThat(
              binding.bound().stream()
                  .flatMap(b -> b.warnings().stream())
                  .map(ConfigProblem::formatWarning))
          .containsExactly(
              file()
                  + ":4: warning: audit 'child.parent': key 'child.table': role"
                  + " validation_no_usage cannot read schema public (public.child,"
                  + " public.parent), so every run of the 2 audits reading it fails; grant it:"
                  + " GRANT USAGE ON SCHEMA \"public\" TO \"validation_no_usage\"; GRANT SELECT"
                  + " ON ALL TABLES IN SCHEMA \"public\" TO \"validation_no_usage\";"
                  + " (docs/configuration.md, \"The least-privilege role\")");
      AuditResult result =
          auditor.runAll(binding, audits, RunTrigger.CHECK).stream()
              .filter(r -> r.audit().id().equals("child.parent"))
              .findFirst()
              .orElseThrow();
      assertThat(result.status()).isEqualTo(RunStatus.ERROR);
      assertThat(result.error().orElseThrow().message())
          .contains("permission denied for schema public");
    }
  }
}
