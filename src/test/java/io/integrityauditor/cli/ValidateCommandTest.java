package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.cli.CliRunner.Outcome;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate}: problems fail it, warnings are printed and do not. */
class ValidateCommandTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("validate_cli");
    db.execute(
        """
        CREATE TABLE workspaces (id uuid PRIMARY KEY);
        CREATE TABLE workflows (id text PRIMARY KEY, workspace_id text);
        CREATE ROLE validate_ro LOGIN;
        ALTER ROLE validate_ro SET default_transaction_read_only = on;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO validate_ro;
        """);
  }

  private Outcome validate(String audits) {
    return validateAs(audits, "postgres");
  }

  private Outcome validateAs(String audits, String user, String... options) {
    return validateOn(db.url(), user, audits, options);
  }

  /** {@code validate} of {@code audits} against one target, as {@code user}. */
  private Outcome validateOn(String url, String user, String audits, String... options) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", audits);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: "
                + url
                + "\n    user: "
                + user
                + "\naudits: [audits/*.yaml]\n");
    return CliRunner.execute("validate", config, options);
  }

  private static final String CLEAN_AUDIT =
      """
      audits:
        - id: wf
          kind: unique
          table: workflows
          columns: [id]
      """;

  @Test
  void a_role_that_could_write_is_warned_about_and_a_least_privilege_one_is_not() {
    Outcome superuser = validate(CLEAN_AUDIT);
    assertThat(superuser.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(superuser.out())
        .contains(
            "warning: target app: role postgres could write: it is a superuser; it may write 2"
                + " tables (e.g. public.workflows, public.workspaces);"
                + " default_transaction_read_only is off (ALTER ROLE \"postgres\" SET"
                + " default_transaction_read_only = on).")
        .endsWith("1 audit in 1 file is valid against 1 target (1 warning)\n");
    Outcome readOnly = validateAs(CLEAN_AUDIT, "validate_ro");
    assertThat(readOnly.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(readOnly.out()).isEqualTo("1 audit in 1 file is valid against 1 target\n");
  }

  @Test
  void a_type_mismatch_is_a_warning_and_validate_still_succeeds() {
    Outcome outcome =
        validate(
            """
            audits:
              - id: ws
                kind: orphan
                child: workflows.workspace_id
                parent: workspaces.id
            """);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .contains(
            "a.yaml:4: warning: audit 'ws': key 'child.columns': type mismatch:"
                + " workflows.workspace_id is text but workspaces.id is uuid")
        .contains("role postgres could write")
        .contains("1 audit in 1 file is valid against 1 target (2 warnings)");
  }

  @Test
  void a_role_that_cannot_read_an_audits_tables_fails_validation_saying_every_run_of_it_fails() {
    // newuser24: "33 audits in 3 files are valid against 2 targets (4 warnings)", exit 0, for a
    // role that could read none of their tables: a CI gate passed what every run would fail
    TestPostgres.Database locked = TestPostgres.newDatabase("validate_cli_locked");
    locked.execute(
        """
        CREATE TABLE workflows (id text PRIMARY KEY);
        CREATE SCHEMA ledger;
        CREATE TABLE ledger.entries (id int PRIMARY KEY, account text);
        GRANT SELECT ON public.workflows TO validate_ro;
        """);
    Outcome outcome =
        validateOn(
            locked.url(),
            "validate_ro",
            """
        audits:
          - id: wf
            kind: unique
            table: workflows
            columns: [id]
          - id: entries.account
            kind: unique
            table: ledger.entries
            columns: [account]
        """);

    assertThat(outcome.code()).isEqualTo(ExitCodes.COULD_NOT_RUN);
    assertThat(outcome.out())
        .contains(
            "a.yaml:8: warning: audit 'entries.account': key 'table': role validate_ro cannot"
                + " read schema ledger (ledger.entries), so every run of this audit fails")
        .doesNotContain("valid against");
    assertThat(outcome.err())
        .isEqualTo(
            "error: every run of 1 of the 2 audits will fail (entries.account): its role cannot"
                + " read its tables; run the GRANTs given above, then validate again\n");
  }

  @Test
  void a_bigint_reference_to_an_integer_key_says_a_foreign_key_accepts_it_and_how_to_note_it() {
    // newuser25: Chatwoot (Rails) mixes bigint references and serial keys everywhere; the warning
    // said "a foreign key needs identical types", which PostgreSQL does not require of integers
    TestPostgres.Database rails = TestPostgres.newDatabase("validate_cli_rails");
    rails.execute(
        """
        CREATE TABLE accounts (id serial PRIMARY KEY);
        CREATE TABLE inboxes (id serial PRIMARY KEY, account_id bigint);
        """);
    Outcome outcome =
        validateOn(
            rails.url(),
            "postgres",
            """
        audits:
          - id: inboxes.account
            kind: orphan
            child: inboxes.account_id
            parent: accounts.id
        """);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .contains(
            "a.yaml:4: warning: audit 'inboxes.account': key 'child.columns': type mismatch:"
                + " inboxes.account_id is bigint but accounts.id is integer; each run counts it as"
                + " 1 violation. PostgreSQL accepts a foreign key between integer types: if the"
                + " mix is by design (Rails and Django schemas often have it), set type_mismatch:"
                + " note on the audit to report it as a note only; else give the reference its"
                + " key's type\n")
        .doesNotContain("needs identical types");
  }

  @Test
  void a_role_that_cannot_use_the_schema_gets_the_grants_and_no_write_warning_beside_them() {
    // newuser24/25: "role could write: default_transaction_read_only is off" next to "cannot read
    // schema public" for a role that can write nothing: noise beside the error that matters
    TestPostgres.Database locked = TestPostgres.newDatabase("validate_cli_no_usage");
    locked.execute(
        """
        CREATE TABLE workflows (id text PRIMARY KEY);
        REVOKE ALL ON SCHEMA public FROM PUBLIC;
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'validate_nousage') THEN
            CREATE ROLE validate_nousage LOGIN;
          END IF;
        END $$;
        """);
    Outcome outcome = validateOn(locked.url(), "validate_nousage", CLEAN_AUDIT);

    assertThat(outcome.code()).isEqualTo(ExitCodes.COULD_NOT_RUN);
    assertThat(outcome.out())
        .contains("role validate_nousage cannot read schema public")
        .doesNotContain("could write");

    // granted as the README says, but without the ALTER ROLE: now the warning says what to run
    locked.execute(
        "GRANT USAGE ON SCHEMA public TO validate_nousage;"
            + " GRANT SELECT ON ALL TABLES IN SCHEMA public TO validate_nousage;");
    Outcome granted = validateOn(locked.url(), "validate_nousage", CLEAN_AUDIT);
    assertThat(granted.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(granted.out())
        .contains(
            "warning: target app: role validate_nousage could write: default_transaction_read_only"
                + " is off (ALTER ROLE \"validate_nousage\" SET default_transaction_read_only ="
                + " on).");
  }

  @Test
  void a_password_written_into_the_jdbc_url_is_warned_about_and_never_shown() {
    // newuser24: accepted silently (and masked everywhere), while the README says passwords come
    // from the environment or a file: the one place that can say so before it is committed
    Outcome outcome =
        validateOn(
            db.url() + "?password=Hunter2-in-url&sslmode=disable", "validate_ro", CLEAN_AUDIT);

    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .contains(
            "integrity-auditor.yaml:3: warning: key 'targets.app.url': the JDBC URL holds a"
                + " password: it is masked in every output, but it is written in this file (and in"
                + " its history); remove password= from the URL and give it with password_env:"
                + " VARIABLE or password_file: PATH")
        .endsWith("1 audit in 1 file is valid against 1 target (1 warning)\n")
        .doesNotContain("Hunter2-in-url");
    assertThat(outcome.err()).doesNotContain("Hunter2-in-url");
  }

  @Test
  void problems_still_fail_validation() {
    Outcome outcome =
        validate(
            """
            audits:
              - id: ws
                kind: unique
                table: workflows
                columns: [workspace]
            """);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err()).contains("column workflows.workspace does not exist");
  }

  private static final String ONE_OWNED_TWO_UNOWNED =
      """
      audits:
        - id: owned
          owner: payments-team
          kind: unique
          table: workflows
          columns: [id]
        - id: unowned.one
          kind: unique
          table: workflows
          columns: [id]
        - id: unowned.two
          kind: unique
          table: workspaces
          columns: [id]
      """;

  @Test
  void require_owner_reports_every_audit_nobody_owns_with_file_line_and_fix() {
    Outcome outcome = validateAs(ONE_OWNED_TWO_UNOWNED, "postgres", "--offline", "--require-owner");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    String fix =
        "key 'owner': no owner: name the team that answers for its alerts with 'owner:' in the"
            + " audit or in the file's defaults (--require-owner)";
    assertThat(outcome.err())
        .contains("a.yaml:7: audit 'unowned.one': " + fix)
        .contains("a.yaml:11: audit 'unowned.two': " + fix)
        .doesNotContain("'owned'");
  }

  @Test
  void without_require_owner_audits_nobody_owns_are_valid() {
    Outcome outcome = validateAs(ONE_OWNED_TWO_UNOWNED, "postgres", "--offline");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .isEqualTo("3 audits in 1 file are well-formed (catalog not checked: --offline)\n");
  }

  @Test
  void an_owner_in_the_file_defaults_satisfies_require_owner() {
    Outcome outcome =
        validateAs(
            "defaults:\n  owner: platform\n" + ONE_OWNED_TWO_UNOWNED,
            "postgres",
            "--offline",
            "--require-owner");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
  }

  @Test
  void an_owner_that_is_not_a_team_name_is_a_configuration_error() {
    Outcome outcome =
        validateAs(
            ONE_OWNED_TWO_UNOWNED.replace("payments-team", "Payments Team"),
            "postgres",
            "--offline");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains(
            "audit 'owned': key 'owner': 'Payments Team' is not a team name: lower-case letters,"
                + " digits, '_', '.' and '-' (max 63), starting with a letter or digit, e.g."
                + " payments-team");
  }
}
