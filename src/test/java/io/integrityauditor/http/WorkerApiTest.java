package io.integrityauditor.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.serve.Worker;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON API and the on-call CLI: envelopes, auth, validation, and no secret anywhere. */
class WorkerApiTest {
  static final String TOKEN = "api-test-token-5f2a9c";
  static final String TARGET_PASSWORD = "target-password-8d1e77";

  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;
  Worker worker;
  Path config;
  String base;
  final HttpClient client = HttpClient.newHttpClient();
  final List<String> bodies = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    target = TestPostgres.newDatabase("api_target");
    store = TestPostgres.newDatabase("api_store");
    target.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int); INSERT INTO orders VALUES (1, 7), (2, 8);");
    Workspace workspace = new Workspace(dir);
    workspace.write("token", TOKEN);
    workspace.write("target.password", TARGET_PASSWORD);
    workspace.write(
        "audits/a.yaml",
        "audits:\n  - id: orders.customer\n    kind: orphan\n    child: orders.customer_id\n"
            + "    parent: customers.id\n    schedule: '@every 1h'\n");
    config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            store: {url: "%s", user: postgres}
            targets:
              app: {url: "%s", user: postgres, password_file: target.password}
            http: {port: 0, token_file: token, external_url: "https://auditor.example.internal/"}
            scheduler: {first_run_window: 0s}   # the first run at once, not spread
            """
                .formatted(store.url(), target.url()));
    worker = Worker.start(workspace.load(config), Clock.systemUTC());
    base = "http://localhost:" + worker.httpPort().orElseThrow();
    Eventually.within(
        Duration.ofSeconds(30),
        "the first run is recorded",
        () -> store.queryLong("SELECT count(*) FROM integrity_auditor.alert") == 1);
  }

  @AfterEach
  void stop() {
    worker.close();
    for (String body : bodies) {
      assertThat(body).doesNotContain(TOKEN).doesNotContain(TARGET_PASSWORD);
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
  }

  private HttpResponse<String> post(String path, String token, String body) throws Exception {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return send(builder.build());
  }

  /** A request the JDK client refuses to build (malformed escapes), sent over a socket. */
  private String rawGet(String path) throws Exception {
    return raw("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  }

  /** Bytes written as they are; everything the server answers until it closes. */
  private String raw(String request) throws Exception {
    try (java.net.Socket socket =
        new java.net.Socket("localhost", worker.httpPort().orElseThrow())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      String response =
          new String(
              socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      bodies.add(response);
      return response;
    }
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    bodies.add(response.body());
    return response;
  }

  @Test
  void alerts_runs_and_acknowledgements_over_http() throws Exception {
    HttpResponse<String> alerts = get("/api/alerts");
    assertThat(alerts.statusCode()).isEqualTo(200);
    assertThat(alerts.body())
        .startsWith("{\"data\":[{\"id\":")
        .contains("\"auditId\":\"orders.customer\"")
        .contains("\"newKeys\":[{\"id\":\"1\",\"customer_id\":\"7\"}");
    String id = alerts.body().replaceAll("^\\{\"data\":\\[\\{\"id\":(\\d+).*$", "$1");

    assertThat(post("/api/alerts/" + id + "/ack", null, "{\"by\":\"x\"}").statusCode())
        .isEqualTo(401);
    assertThat(post("/api/alerts/" + id + "/ack", TOKEN, "not json").statusCode()).isEqualTo(400);
    assertThat(post("/api/alerts/" + id + "/ack", TOKEN, "{\"note\":\"n\"}").statusCode())
        .isEqualTo(400);
    assertThat(post("/api/alerts/abc/ack", TOKEN, "{}").statusCode()).isEqualTo(400);
    assertThat(post("/api/alerts/99999/ack", TOKEN, "{\"by\":\"x\"}").statusCode()).isEqualTo(404);
    HttpResponse<String> acked =
        post("/api/alerts/" + id + "/ack", TOKEN, "{\"by\":\"alice\",\"note\":\"on it\"}");
    assertThat(acked.statusCode()).isEqualTo(200);
    assertThat(acked.body())
        .contains("\"acknowledgedBy\":\"alice\"")
        .contains("\"acknowledgementNote\":\"on it\"");

    HttpResponse<String> runs = get("/api/audits/orders.customer/runs?limit=5");
    assertThat(runs.statusCode()).isEqualTo(200);
    assertThat(runs.body()).startsWith("{\"data\":[{").contains("\"status\":\"violations\"");
    assertThat(get("/api/audits/orders.customer/runs?limit=x").statusCode()).isEqualTo(400);
    assertThat(get("/api/alerts?state=bogus").statusCode()).isEqualTo(400);
    assertThat(get("/api/alerts?state=all").statusCode()).isEqualTo(200);
  }

  @Test
  void baselines_are_accepted_and_cleared_over_http_with_the_token() throws Exception {
    String accept = "{\"audits\":[\"orders.customer\"],\"by\":\"alice\",\"note\":\"JIRA-7\"}";
    assertThat(post("/api/baselines", null, accept).statusCode()).isEqualTo(401);
    assertThat(post("/api/baselines", "wrong", accept).statusCode()).isEqualTo(403);
    assertThat(post("/api/baselines", TOKEN, "{\"audits\":[\"orders.customer\"]}").statusCode())
        .isEqualTo(400);
    HttpResponse<String> unknown =
        post("/api/baselines", TOKEN, "{\"audits\":[\"no.such\"],\"by\":\"alice\"}");
    assertThat(unknown.statusCode()).isEqualTo(409);
    assertThat(unknown.body()).contains("\"status\":\"NO_RUN\"");

    HttpResponse<String> accepted = post("/api/baselines", TOKEN, accept);
    assertThat(accepted.statusCode()).isEqualTo(200);
    assertThat(accepted.body())
        .contains("\"auditId\":\"orders.customer\"")
        .contains("\"status\":\"ACCEPTED\"")
        .contains("\"violations\":2");
    assertThat(get("/api/baselines").body())
        .contains("\"acceptedBy\":\"alice\"")
        .contains("\"note\":\"JIRA-7\"")
        .contains("\"acceptedViolations\":2")
        .contains("\"remainingViolations\":2");

    assertThat(post("/api/baselines/clear", null, "{}").statusCode()).isEqualTo(401);
    HttpResponse<String> cleared = post("/api/baselines/clear", TOKEN, "{}");
    assertThat(cleared.statusCode()).isEqualTo(200);
    assertThat(cleared.body()).contains("\"status\":\"CLEARED\"");
    assertThat(get("/api/baselines").body()).isEqualTo("{\"data\":[]}");
  }

  @Test
  void control_characters_in_an_acknowledgement_are_a_400_naming_the_field_never_a_500()
      throws Exception {
    String id = get("/api/alerts").body().replaceAll("^\\{\"data\":\\[\\{\"id\":(\\d+).*$", "$1");
    HttpResponse<String> nul =
        post("/api/alerts/" + id + "/ack", TOKEN, "{\"by\":\"ali\\u0000ce\",\"note\":\"n\"}");
    assertThat(nul.statusCode()).isEqualTo(400);
    assertThat(nul.body())
        .contains("by contains the control character U+0000 at position 4; remove it");
    HttpResponse<String> escape =
        post("/api/alerts/" + id + "/ack", TOKEN, "{\"by\":\"a\",\"note\":\"\\u001b[2Jx\"}");
    assertThat(escape.statusCode()).isEqualTo(400);
    assertThat(escape.body())
        .contains(
            "note contains the control character U+001B at position 1; remove it (line breaks"
                + " and tabs are fine)");
    HttpResponse<String> lines =
        post("/api/alerts/" + id + "/ack", TOKEN, "{\"by\":\"a\",\"note\":\"one\\n\\ttwo\"}");
    assertThat(lines.statusCode()).isEqualTo(200);
    assertThat(lines.body()).contains("\"acknowledgementNote\":\"one\\n\\ttwo\"");
    CliRunner.Outcome cli =
        CliRunner.execute("ack", id, "--by", "bob\u001b[31m", "--config", config.toString());
    assertThat(cli.code()).isEqualTo(2);
    assertThat(cli.err())
        .startsWith("error: --by contains the control character U+001B at position 4; remove it");
    for (String body : List.of(nul.body(), escape.body(), cli.err())) {
      assertThat(body).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  @Test
  void malformed_requests_get_json_errors_not_stack_traces() throws Exception {
    HttpResponse<String> unknown = get("/nope");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).startsWith("{\"error\":{\"status\":404");
    // encoded separators are ambiguous: refused before any route (Jetty's URI compliance)
    HttpResponse<String> traversal = get("/api/audits/..%2F..%2Fetc/runs");
    assertThat(traversal.statusCode()).isEqualTo(400);
    assertThat(traversal.body())
        .startsWith("{\"error\":{\"status\":400,\"message\":\"malformed request");
    assertThat(post("/metrics", TOKEN, "").statusCode()).isEqualTo(405);
    HttpResponse<String> huge = post("/api/reload", TOKEN, "x".repeat(HttpApi.MAX_BODY_BYTES + 1));
    assertThat(huge.statusCode()).isEqualTo(413);
    for (String body : bodies) {
      assertThat(body).doesNotContain("Exception").doesNotContain("\tat ");
    }
    // protocol errors, found by the server before any route: the same JSON errors
    assertThat(rawGet("/api/alerts?state=%zz"))
        .startsWith("HTTP/1.1 400")
        .contains("{\"error\":{\"status\":400,\"message\":\"malformed request target");
    assertThat(raw("GARBAGE\r\n\r\n"))
        .startsWith("HTTP/1.1 400")
        .contains("{\"error\":{\"status\":400,\"message\":\"malformed request");
    assertThat(raw("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"))
        .startsWith("HTTP/1.1 400")
        .contains("{\"error\":{\"status\":400,\"message\":\"malformed request");
    assertThat(raw("GET /metrics HTTP/1.1\r\nX-Big: " + "y".repeat(9000) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 431")
        .contains("{\"error\":{\"status\":431,\"message\":\"request header section too large");
    assertThat(raw("GET /" + "a".repeat(9000) + " HTTP/1.1\r\n\r\n"))
        .startsWith("HTTP/1.1 414")
        .contains("{\"error\":{\"status\":414,\"message\":\"request target too long");
    assertThat(
            raw(
                "POST /api/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TOKEN
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 411")
        .contains("{\"error\":{\"status\":411");
    assertThat(raw("GET /health/live HTTP/1.1\r\nContent-Length: -1\r\n\r\n"))
        .startsWith("HTTP/1.1 400")
        .contains("{\"error\":{\"status\":400,\"message\":\"malformed request");
    for (String body : bodies) {
      assertThat(body).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("<h1>");
    }
  }

  @Test
  void a_connection_is_kept_alive_across_requests_and_closed_when_asked() throws Exception {
    String two =
        raw(
            "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(two.split("HTTP/1.1 200 OK", -1)).hasSize(4);
    // the HEAD answer has the GET's length and no body: two bodies in all
    assertThat(two.split("\\{\"data\":\\{\"status\":\"up\"}}", -1)).hasSize(3);
    assertThat(two).endsWith("{\"data\":{\"status\":\"up\"}}").contains("Connection: close");
  }

  @Test
  void metrics_and_health_answer_in_their_formats() throws Exception {
    HttpResponse<String> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/plain; version=0.0.4");
    assertThat(metrics.body())
        .contains("integrity_audit_violations{audit=\"orders.customer\"")
        .contains("integrity_audit_pages_info{url=\"https://auditor.example.internal\"} 1");
    assertThat(get("/health/live").body()).isEqualTo("{\"data\":{\"status\":\"up\"}}");
    assertThat(get("/health/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void the_on_call_cli_lists_acknowledges_and_shows_runs() {
    CliRunner.Outcome alerts = CliRunner.execute("alerts", "--config", config.toString());
    assertThat(alerts.code()).isZero();
    assertThat(alerts.out()).contains("orders.customer").contains("sample keys (2)");
    String id = alerts.out().lines().skip(1).findFirst().orElseThrow().trim().split("\\s+")[0];
    CliRunner.Outcome ack =
        CliRunner.execute(
            "ack", id, "--by", "bob", "--note", "fixing", "--config", config.toString());
    assertThat(ack.code()).isZero();
    assertThat(
            CliRunner.execute("ack", "424242", "--by", "bob", "--config", config.toString()).code())
        .isEqualTo(2);
    CliRunner.Outcome json =
        CliRunner.execute("alerts", "--all", "--format", "json", "--config", config.toString());
    assertThat(json.out()).contains("\"acknowledgedBy\" : \"bob\"");
    CliRunner.Outcome runs =
        CliRunner.execute("runs", "orders.customer", "--config", config.toString());
    assertThat(runs.code()).isZero();
    assertThat(runs.out()).contains("violations !").contains("customer_id=7");
    for (CliRunner.Outcome outcome : List.of(alerts, ack, json, runs)) {
      bodies.add(outcome.out() + outcome.err());
    }
  }
}
