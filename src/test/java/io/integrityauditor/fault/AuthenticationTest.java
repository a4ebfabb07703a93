package io.integrityauditor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.Json;
import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target that checks passwords (scram-sha-256, unlike the other tests' trust): a password written
 * URL-encoded in the JDBC URL works, and a wrong one is reported as an authentication failure in
 * check, validate, the run's error class and the metrics, never as a pool timeout.
 */
class AuthenticationTest {
  /** Every special character of a URL query, as the role's real password. */
  static final String PASSWORD = "p@ss&w=rd+1%";

  static final String ENCODED = "p%40ss%26w%3Drd%2B1%25";

  @TempDir static Path serverDir;
  @TempDir Path dir;

  static EmbeddedPostgres server;
  static TestPostgres.Database target;

  @BeforeAll
  static void start() throws Exception {
    Path hba = serverDir.resolve("pg_hba.conf");
    Files.writeString(
        hba,
        """
        local all all trust
        host all postgres 127.0.0.1/32 trust
        host all postgres ::1/128 trust
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256
        """,
        StandardCharsets.UTF_8);
    server =
        EmbeddedPostgres.builder()
            .setDataDirectory(serverDir.resolve("data"))
            .setServerConfig("hba_file", hba.toString())
            .start();
    target = new TestPostgres.Database("postgres", server);
    target.execute(
        "CREATE ROLE auditor LOGIN PASSWORD '"
            + PASSWORD.replace("'", "''")
            + "';"
            + "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY,"
            + " parent_id int); GRANT SELECT ON parent, child TO auditor;");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private Path config(String urlPassword, String store) {
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        "audits:\n  - {id: child.parent, kind: orphan, child: child.parent_id, parent: parent.id}\n");
    return workspace.write(
        "integrity-auditor.yaml",
        store
            + "http: {enabled: false}\ntargets:\n  app:\n    url: "
            + target.url()
            + "?password="
            + urlPassword
            + "\n    user: auditor\n    connect_timeout: 2s\naudits: [audits/*.yaml]\n");
  }

  @Test
  void a_url_encoded_password_in_the_jdbc_url_is_decoded_like_pgjdbc_does() {
    CliRunner.Outcome outcome =
        CliRunner.execute("check", "--config", config(ENCODED, "").toString());
    assertThat(outcome.code()).as(outcome.out() + outcome.err()).isZero();
    assertThat(outcome.out()).contains("1 audit: 1 clean");
  }

  @Test
  void a_wrong_password_is_an_authentication_failure_in_check_and_validate() throws Exception {
    Path config = config("wrong", "");
    CliRunner.Outcome check =
        CliRunner.execute("check", "--config", config.toString(), "--format", "json");
    assertThat(check.code()).isEqualTo(3);
    JsonNode error = Json.MAPPER.readTree(check.out()).get("data").get(0).get("error");
    assertThat(error.get("class").asText()).isEqualTo("authentication");
    assertThat(error.get("message").asText())
        .isEqualTo("target app: FATAL: password authentication failed for user \"auditor\"");

    CliRunner.Outcome validate = CliRunner.execute("validate", "--config", config.toString());
    assertThat(validate.code()).isEqualTo(3);
    assertThat(validate.err())
        .endsWith(
            "\nerror: [authentication] target app: FATAL: password authentication failed for user"
                + " \"auditor\"\n");
    for (CliRunner.Outcome outcome : java.util.List.of(check, validate)) {
      assertThat(outcome.out() + outcome.err())
          .doesNotContain("Connection is not available")
          .doesNotContain("wrong");
    }
  }

  @Test
  void a_wrong_password_shows_in_the_metrics_as_an_authentication_failure() throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("auth_store");
    Path config = config("wrong", "store: {url: \"" + store.url() + "\", user: postgres}\n");
    try (Worker worker = Worker.start(new Workspace(dir).load(config), Clock.systemUTC())) {
      worker.probeTargets();
      String metrics = new String(worker.scrapeMetrics(), StandardCharsets.UTF_8);
      assertThat(metrics)
          .contains("integrity_audit_target_up{target=\"app\"} 0.0")
          .contains("integrity_audit_target_authentication_failed{target=\"app\"} 1.0");
    }
  }
}
