package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit files are the source of truth: reloads reconcile the jobs; broken files do not. */
class ReloadTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;
  Workspace workspace;

  private static final String TOKEN = "reload-test-token-1234";

  @BeforeEach
  void setUp() {
    target = TestPostgres.newDatabase("reload_target");
    store = TestPostgres.newDatabase("reload_store");
    target.execute(
        "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, p int);"
            + " INSERT INTO child VALUES (1, 5);");
    workspace = new Workspace(dir);
    workspace.write("token", TOKEN);
  }

  private Path config() {
    return workspace.write(
        "integrity-auditor.yaml",
        """
        node_id: reload-node
        store: {url: "%s", user: postgres}
        targets:
          app: {url: "%s", user: postgres}
        scheduler: {checkin_interval: 1s}
        http: {port: 0, token_file: token}
        """
            .formatted(store.url(), target.url()));
  }

  private static String audit(String id, String schedule) {
    return """
          - id: %s
            kind: orphan
            child: child.p
            parent: parent.id
            schedule: "%s"
        """
        .formatted(id, schedule);
  }

  /** Audit jobs in the Quartz store; 0 until a node has created the schema. */
  private long jobs() {
    try {
      return store.queryLong(
          "SELECT count(*) FROM integrity_auditor.qrtz_job_details WHERE job_group = 'audits'");
    } catch (IllegalStateException notMigratedYet) {
      return 0;
    }
  }

  private String cron(String auditId) {
    return String.valueOf(
        store
            .query(
                "SELECT cron_expression FROM integrity_auditor.qrtz_cron_triggers WHERE"
                    + " trigger_name = '"
                    + auditId
                    + "'")
            .stream()
            .findFirst()
            .map(row -> row.get("cron_expression"))
            .orElse(null));
  }

  @Test
  void reload_adds_changes_and_removes_jobs_to_match_the_files() throws Exception {
    workspace.write("audits/a.yaml", "audits:\n" + audit("one", "@daily") + audit("two", "@daily"));
    try (Worker worker = Worker.start(workspace.load(config()), Clock.systemUTC())) {
      assertThat(jobs()).isEqualTo(2);
      workspace.write(
          "audits/a.yaml", "audits:\n" + audit("two", "0 3 * * 0") + audit("three", "@hourly"));
      ReloadReport report = worker.reload();
      assertThat(report.clean()).isTrue();
      assertThat(report.added()).containsExactly("three");
      assertThat(report.updated()).containsExactly("two");
      assertThat(report.removed()).containsExactly("one");
      assertThat(jobs()).isEqualTo(2);
      assertThat(cron("two")).isEqualTo("0 0 3 ? * 1");
      assertThat(worker.reload().added()).isEmpty(); // unchanged files change nothing
    }
  }

  @Test
  void a_threshold_edit_is_reported_as_updated_and_an_audit_that_only_moved_is_not()
      throws Exception {
    workspace.write("audits/a.yaml", "audits:\n" + audit("one", "@daily") + audit("two", "@daily"));
    try (Worker worker = Worker.start(workspace.load(config()), Clock.systemUTC())) {
      // "two" gets a threshold (its job is unchanged: same schedule, same check); "one" moves
      // below it and two lines down
      workspace.write(
          "audits/a.yaml",
          "audits:\n"
              + audit("two", "@daily")
              + "    threshold: {max_violations: 5}\n"
              + "\n# moved\n"
              + audit("one", "@daily"));
      ReloadReport report = worker.reload();
      assertThat(report.clean()).isTrue();
      assertThat(report.added()).isEmpty();
      assertThat(report.updated()).containsExactly("two");
      assertThat(report.removed()).isEmpty();
      assertThat(worker.audits().activeAudits().get("two").threshold().maxViolations())
          .contains(5L);
      assertThat(worker.reload().updated()).isEmpty(); // unchanged files change nothing
    }
  }

  @Test
  void an_invalid_file_on_reload_keeps_the_previous_audits_and_reports_the_problem()
      throws Exception {
    workspace.write("audits/a.yaml", "audits:\n" + audit("one", "@daily"));
    workspace.write("audits/b.yaml", "audits:\n" + audit("two", "@daily"));
    try (Worker worker = Worker.start(workspace.load(config()), Clock.systemUTC())) {
      workspace.write("audits/a.yaml", "audits:\n  - id: one\n    kind: [broken\n");
      workspace.write(
          "audits/b.yaml", "audits:\n" + audit("two", "@hourly") + audit("new", "@daily"));
      ReloadReport report = worker.reload();
      assertThat(report.clean()).isFalse();
      assertThat(report.problems())
          .singleElement()
          .satisfies(p -> assertThat(p.format()).contains("a.yaml:3: invalid YAML"));
      assertThat(report.kept()).containsExactly("one");
      assertThat(report.added()).containsExactly("new");
      assertThat(report.updated()).containsExactly("two");
      assertThat(worker.audits().activeAudits()).containsOnlyKeys("one", "two", "new");
      assertThat(jobs()).isEqualTo(3);
    }
  }

  @Test
  void http_trigger_and_reload_need_the_token_and_answer_in_the_data_envelope() throws Exception {
    workspace.write("audits/a.yaml", "audits:\n" + audit("one", "@yearly"));
    try (Worker worker = Worker.start(workspace.load(config()), Clock.systemUTC())) {
      String base = "http://localhost:" + worker.httpPort().orElseThrow();
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> anonymous =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/api/audits/one/trigger"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.body()).startsWith("{\"error\":");
      HttpResponse<String> wrong =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/api/audits/one/trigger"))
                  .header("Authorization", "Bearer nope")
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).isEqualTo(403);
      HttpResponse<String> triggered =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/api/audits/one/trigger"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(triggered.statusCode()).isEqualTo(202);
      assertThat(triggered.body()).isEqualTo("{\"data\":{\"audit\":\"one\",\"triggered\":true}}");
      Eventually.within(
          Duration.ofSeconds(30),
          "the manual run was recorded",
          () ->
              store.queryLong(
                      "SELECT count(*) FROM integrity_auditor.audit_run WHERE trigger_type ="
                          + " 'manual' AND status = 'violations'")
                  == 1);
      HttpResponse<String> reload =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/api/reload"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(reload.statusCode()).isEqualTo(200);
      assertThat(reload.body()).startsWith("{\"data\":{").contains("\"clean\":true");
      HttpResponse<String> ready =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      HttpResponse<String> unknown =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/api/audits/nope/trigger"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(unknown.statusCode()).isEqualTo(404);
    }
  }

  @Test
  void serve_refuses_an_api_that_can_change_state_without_a_token() {
    Path config =
        workspace.write(
            "no-token.yaml",
            "store: {url: \"%s\"}\ntargets:\n  app: {url: \"%s\"}\naudits: [token]\n"
                .formatted(store.url(), target.url()));
    var outcome = io.integrityauditor.cli.CliRunner.execute("serve", "--config", config.toString());
    assertThat(outcome.code()).isEqualTo(2);
    assertThat(outcome.err()).contains("needs a token").contains("http.read_only: true");
    // an http section written in the file: the problem names its line
    Path written =
        workspace.write(
            "port-only.yaml",
            "store: {url: \"%s\"}\ntargets:\n  app: {url: \"%s\"}\naudits: [token]\nhttp:\n  port: 0\n"
                .formatted(store.url(), target.url()));
    var located =
        io.integrityauditor.cli.CliRunner.execute("serve", "--config", written.toString());
    assertThat(located.code()).isEqualTo(2);
    assertThat(located.err()).contains("port-only.yaml:5: key 'http'").contains("needs a token");
  }

  @Test
  void sighup_reloads_the_audit_files() throws Exception {
    workspace.write("audits/a.yaml", "audits:\n" + audit("one", "@daily"));
    try (ChildNode node = ChildNode.serve("hup", config(), dir)) {
      node.awaitServing();
      assertThat(jobs()).isEqualTo(1);
      workspace.write(
          "audits/a.yaml", "audits:\n" + audit("one", "@daily") + audit("two", "@daily"));
      new ProcessBuilder("kill", "-HUP", String.valueOf(node.pid())).start().waitFor();
      try {
        Eventually.within(Duration.ofSeconds(30), "SIGHUP added the new audit", () -> jobs() == 2);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; node log:\n" + node.log(), e);
      }
      assertThat(node.log()).contains("1 added");
      node.terminate(Duration.ofSeconds(30));
    }
  }
}
