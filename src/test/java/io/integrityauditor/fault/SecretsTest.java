package io.integrityauditor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.Workspace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets never leave the process: a full demo run at DEBUG, its HTTP API, the on-call CLI and the
 * store's records are searched for the configured password and token, and so are the error paths of
 * a target whose password sits in its JDBC URL.
 */
class SecretsTest {
  @TempDir Path dir;

  private static Process java(Path log, List<String> args, String... env) throws Exception {
    List<String> command =
        new ArrayList<>(ChildNode.java("-Dintegrity.auditor.root.log.level=DEBUG"));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    builder.environment().put("INTEGRITY_AUDITOR_LOG_LEVEL", "DEBUG");
    builder.environment().put("INTEGRITY_AUDITOR_LIBRARY_LOG_LEVEL", "DEBUG");
    for (int i = 0; i + 1 < env.length; i += 2) {
      builder.environment().put(env[i], env[i + 1]);
    }
    return builder.start();
  }

  @Test
  void no_secret_appears_in_logs_responses_cli_output_or_records_of_a_demo_run_at_debug()
      throws Exception {
    Path work = dir.resolve("demo");
    Path log = dir.resolve("demo.log");
    Process demo =
        java(log, List.of("demo", "--every", "3s", "--port", "0", "--work-dir", work.toString()));
    List<String> seen = new ArrayList<>();
    try {
      // the start-up cap of a child node: the demo (its own PostgreSQL, two databases, 68 audits)
      // took more than 2 minutes to serve at load 40
      Eventually.within(
          ChildNode.START_UP_CAP, "the demo serves", () -> read(log).contains("Press Ctrl-C"));
      String password = Files.readString(work.resolve("apms.password")).strip();
      String token = Files.readString(work.resolve("http.token")).strip();
      assertThat(password).hasSizeGreaterThan(8);
      Matcher port =
          Pattern.compile("metrics\\s+http://localhost:(\\d+)/metrics").matcher(read(log));
      assertThat(port.find()).isTrue();
      String base = "http://localhost:" + port.group(1);
      HttpClient client = HttpClient.newHttpClient();
      for (String path :
          List.of(
              "/metrics",
              "/api/audits",
              "/api/alerts?state=all",
              "/api/audits/servers.dock/runs",
              "/health/ready",
              "/nope")) {
        seen.add(
            client
                .send(
                    HttpRequest.newBuilder(URI.create(base + path)).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
      }
      for (String body : List.of("", "{\"by\":\"x\"}")) {
        seen.add(
            client
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/api/audits/servers.dock/trigger"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
        seen.add(
            client
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/api/alerts/1/ack"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
        seen.add(
            client
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/api/reload"))
                        .header("Authorization", "Bearer wrong-" + token)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
      }
      Path config = work.resolve("integrity-auditor.yaml");
      for (String[] args :
          List.of(
              new String[] {"alerts", "--all", "--format", "json"},
              new String[] {"runs", "servers.dock", "--format", "json"},
              new String[] {"check", "--format", "json"},
              new String[] {"validate"},
              new String[] {"explain", "servers.dock"})) {
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--config";
        full[args.length + 1] = config.toString();
        CliRunner.Outcome outcome = CliRunner.execute(full);
        seen.add(outcome.out() + outcome.err());
      }
      seen.add(storeDump(config));
      demo.destroy();
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
      seen.add(read(log));
      assertThat(read(log)).contains("DEBUG");
      for (String text : seen) {
        assertThat(text).doesNotContain(password).doesNotContain(token);
      }
    } finally {
      demo.destroyForcibly();
    }
  }

  /** Every row of the store's own tables, as text. */
  private static String storeDump(Path config) throws Exception {
    String url =
        Files.readAllLines(config).stream()
            .filter(l -> l.contains("/integrity_auditor"))
            .map(l -> l.replaceAll(".*url:\\s*", "").trim())
            .findFirst()
            .orElseThrow();
    StringBuilder dump = new StringBuilder();
    try (Connection connection = DriverManager.getConnection(url, "postgres", "");
        Statement statement = connection.createStatement()) {
      for (String table :
          List.of(
              "audit_run",
              "audit_run_sample",
              "alert",
              "alert_sample",
              "audit_latest",
              "qrtz_job_details",
              "qrtz_triggers")) {
        try (ResultSet rows =
            statement.executeQuery("SELECT t::text FROM integrity_auditor." + table + " t")) {
          while (rows.next()) {
            dump.append(rows.getString(1)).append('\n');
          }
        }
      }
    }
    assertThat(dump).contains("servers.dock");
    return dump.toString();
  }

  @Test
  void a_password_in_a_jdbc_url_or_the_environment_never_appears_in_errors_or_debug_logs()
      throws Exception {
    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    String urlSecret = "url-secret-7c41e9a2";
    String envSecret = "env-secret-95d3b0f1";
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml", "audits:\n  - {id: a, kind: orphan, child: c.p, parent: p.id}\n");
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            targets:
              one:
                url: jdbc:postgresql://localhost:%d/db?password=%s&sslmode=disable
                user: bob
                connect_timeout: 1s
              two:
                url: jdbc:postgresql://localhost:%d/db
                user: alice
                connect_timeout: 1s
            audits: [audits/*.yaml]
            """
                .formatted(closed, urlSecret, closed));
    workspace.write(
        "audits/a.yaml",
        "audits:\n  - {id: a, target: one, kind: orphan, child: c.p, parent: p.id}\n"
            + "  - {id: b, target: two, kind: orphan, child: c.p, parent: p.id}\n");
    for (String command : List.of("check", "validate")) {
      Path log = dir.resolve(command + ".log");
      Process process =
          java(
              log,
              List.of(command, "--config", config.toString(), "--format", "json")
                  .subList(0, command.equals("check") ? 5 : 3),
              "INTEGRITY_AUDITOR_TARGETS_TWO_PASSWORD",
              envSecret);
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).isEqualTo(3);
      String output = read(log);
      assertThat(output).contains("DEBUG").contains("connection");
      assertThat(output).doesNotContain(urlSecret).doesNotContain(envSecret);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
