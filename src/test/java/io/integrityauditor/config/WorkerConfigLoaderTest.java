package io.integrityauditor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerConfigLoaderTest {
  @TempDir Path dir;

  private WorkerConfig load(String yaml, Map<String, String> environment) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", "audits: []\n");
    Path file = workspace.write("integrity-auditor.yaml", yaml);
    return new WorkerConfigLoader(Environment.of(environment)).load(file);
  }

  private String problems(String yaml, Map<String, String> environment) {
    try {
      load(yaml, environment);
      return "";
    } catch (ConfigException e) {
      return e.getMessage();
    }
  }

  @Test
  void reads_targets_store_passwords_from_the_environment_and_audit_globs() {
    WorkerConfig config =
        load(
            """
            node_id: n1
            store:
              url: jdbc:postgresql://db:5432/auditor
              user: auditor
              password_env: STORE_PW
            targets:
              apms:
                url: jdbc:postgresql://db:5432/apms
                user: ro
                password_env: APMS_PW
                max_concurrent_audits: 3
            audits:
              - audits/*.yaml
            """,
            Map.of("STORE_PW", "store-secret", "APMS_PW", "apms-secret"));
    assertThat(config.nodeId()).isEqualTo("n1");
    assertThat(config.store().orElseThrow().password().orElseThrow().reveal())
        .isEqualTo("store-secret");
    TargetConfig apms = config.targets().get("apms");
    assertThat(apms.maxConcurrentAudits()).isEqualTo(3);
    assertThat(apms.database().password().orElseThrow().reveal()).isEqualTo("apms-secret");
    assertThat(apms.database().password().orElseThrow().toString()).doesNotContain("apms-secret");
    assertThat(config.auditFiles()).containsExactly(dir.resolve("audits/a.yaml"));
  }

  @Test
  void the_connection_budget_defaults_to_4_per_server_and_is_set_per_host_and_port() {
    String targets =
        """
        targets:
          apms:
            url: jdbc:postgresql://db:5432/apms
        """;
    assertThat(load(targets, Map.of()).connectionBudget()).isEqualTo(ConnectionBudget.DEFAULTS);
    ConnectionBudget budget =
        load(
                targets
                    + """
                    connection_budget:
                      per_server: 6
                      servers:
                        db1.internal:5432: 12
                        "[::1]:6432": 2
                      max_wait: 30s
                    """,
                Map.of())
            .connectionBudget();
    assertThat(budget.of("db1.internal:5432")).isEqualTo(12);
    assertThat(budget.of("[::1]:6432")).isEqualTo(2);
    assertThat(budget.of("db:5432")).isEqualTo(6);
    assertThat(budget.maxWait()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void a_connection_budget_server_not_named_host_and_port_is_refused_at_its_line() {
    assertThat(
            problems(
                """
                targets:
                  apms:
                    url: jdbc:postgresql://db:5432/apms
                connection_budget:
                  servers:
                    db1.internal: 12
                """,
                Map.of()))
        .contains(
            "integrity-auditor.yaml:6: key 'connection_budget.servers.db1.internal': a server is"
                + " named host:port as in the targets' URLs, such as db1.internal:5432");
  }

  @Test
  void environment_variables_override_file_values() {
    WorkerConfig config =
        load(
            """
            targets:
              apms:
                url: jdbc:postgresql://localhost/apms
            """,
            Map.of("INTEGRITY_AUDITOR_TARGETS_APMS_URL", "jdbc:postgresql://prod-db/apms"));
    assertThat(config.targets().get("apms").database().url())
        .isEqualTo("jdbc:postgresql://prod-db/apms");
  }

  @Test
  void a_password_written_in_the_file_is_refused_with_the_fix() {
    assertThat(
            problems(
                """
                targets:
                  apms:
                    url: jdbc:postgresql://localhost/apms
                    password: hunter2
                """,
                Map.of()))
        .isEqualTo(
            dir.resolve("integrity-auditor.yaml")
                + ":4: key 'targets.apms.password': passwords are never written in the"
                + " configuration file; use password_env: VARIABLE or password_file: PATH");
  }

  @Test
  void a_password_in_the_jdbc_url_is_taken_out_of_the_url() {
    WorkerConfig config =
        load(
            """
            targets:
              apms:
                url: jdbc:postgresql://localhost/apms?password=s3cr3t-pw&sslmode=require
            """,
            Map.of());
    DatabaseConfig database = config.targets().get("apms").database();
    assertThat(database.url()).isEqualTo("jdbc:postgresql://localhost/apms?sslmode=require");
    assertThat(database.password().orElseThrow().reveal()).isEqualTo("s3cr3t-pw");
    assertThat(Redactor.redact("connecting with s3cr3t-pw")).isEqualTo("connecting with ******");
  }

  @Test
  void a_password_in_the_jdbc_url_next_to_password_env_is_warned_about_as_unused() {
    // newuser25: password_env and a password= left in the URL: the URL's was dropped silently,
    // and it stayed written in the file without a word (alone, it is warned about)
    WorkerConfig config =
        load(
            """
            targets:
              apms:
                url: jdbc:postgresql://localhost/apms?user=ro&password=s3cr3t-pw
                password_env: APMS_PASSWORD
            """,
            Map.of("APMS_PASSWORD", "from-env"));
    DatabaseConfig database = config.targets().get("apms").database();
    assertThat(database.url()).isEqualTo("jdbc:postgresql://localhost/apms?user=ro");
    assertThat(database.password().orElseThrow().reveal()).isEqualTo("from-env");
    assertThat(config.warnings())
        .singleElement()
        .extracting(ConfigProblem::formatWarning)
        .asString()
        .endsWith(
            ":3: warning: key 'targets.apms.url': the JDBC URL holds a password that is not used"
                + " (password_env gives the password), but it is written in this file (and in its"
                + " history); remove password= from the URL");
  }

  @Test
  void a_missing_environment_variable_is_named() {
    assertThat(
            problems(
                """
                targets:
                  apms:
                    url: jdbc:postgresql://localhost/apms
                    password_env: APMS_PASSWORD
                """,
                Map.of()))
        .contains(
            ":4: key 'targets.apms.password_env': environment variable APMS_PASSWORD is not set");
  }

  @Test
  void unknown_keys_duplicate_keys_and_bad_urls_are_reported_together() {
    String problems =
        problems(
            """
            targets:
              apms:
                url: postgres://localhost/apms
                pool_sise: 3
            storre: {}
            """,
            Map.of());
    assertThat(problems)
        .contains(":3: key 'targets.apms.url': must be a PostgreSQL JDBC URL")
        .contains(":4: key 'targets.apms.pool_sise': unknown key (did you mean pool_size?)")
        .contains(":5: key 'storre': unknown key (did you mean store?)");
    assertThatThrownBy(() -> load("targets:\n  a: {}\ntargets: {}\n", Map.of()))
        .hasMessageContaining(
            ":3: key 'targets' appears twice in the same mapping (first at line 1)");
  }

  @Test
  void no_matching_audit_files_is_an_error() {
    assertThat(
            problems(
                """
                targets:
                  apms: {url: "jdbc:postgresql://localhost/apms"}
                audits: [rules/*.yaml]
                """,
                Map.of()))
        .contains("key 'audits': no audit file matches 'rules/*.yaml'");
  }

  @Test
  void the_working_directory_is_shown_as_a_dot_not_an_empty_name() {
    // "no audit file matches 'audits/*.yaml' (relative to )" for a config in the working directory
    Path cwd = Path.of("").toAbsolutePath();
    assertThat(Location.displayPath(cwd)).isEqualTo(".");
    assertThat(Location.displayPath(cwd.resolve("audits"))).isEqualTo("audits");
    assertThat(Location.of(cwd, 0).toString()).isEqualTo(".");
  }

  @Test
  void a_password_in_the_jdbc_url_is_url_decoded_like_pgjdbc_decodes_parameters() {
    WorkerConfig config =
        load(
            """
            targets:
              app:
                url: jdbc:postgresql://db:5432/app?ssl=false&password=p%40ss%26w%3Drd%2B1+x&tcpKeepAlive=true
            """,
            Map.of());
    DatabaseConfig app = config.targets().get("app").database();
    assertThat(app.password().orElseThrow().reveal()).isEqualTo("p@ss&w=rd+1 x");
    assertThat(app.url()).isEqualTo("jdbc:postgresql://db:5432/app?ssl=false&tcpKeepAlive=true");
  }

  @Test
  void a_password_that_is_not_valid_url_encoding_is_a_located_problem_that_does_not_show_it() {
    String problems =
        problems(
            """
            targets:
              app:
                url: jdbc:postgresql://db:5432/app?password=100%zz
            """,
            Map.of());
    assertThat(problems)
        .endsWith(
            "integrity-auditor.yaml:3: key 'targets.app.url': the password parameter is not valid"
                + " URL encoding; write each special character as %XX (e.g. %40 for @, %26 for &,"
                + " %25 for %, %2B for +), or use password_env")
        .doesNotContain("100%zz");
  }
}
