package io.integrityauditor.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The audit and alert pages show on-call what the latest run found beyond its count: baseline
 * (accepted backlog) against rows outside it, since when the oldest row has been violating, and how
 * many rows are new, persist or are gone since the run before.
 */
class OnCallFindingsTest {
  private final HttpClient client = HttpClient.newHttpClient();

  private String page(String base, String path) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(base + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  @Test
  void the_pages_show_baseline_against_new_rows_the_oldest_age_and_the_split() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("findings_target");
    TestPostgres.Database store = TestPostgres.newDatabase("findings_store");
    // five orders of missing customers: the backlog
    target.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int); INSERT INTO customers VALUES (1);"
            + " INSERT INTO orders SELECT i, CASE WHEN i <= 5 THEN 100 + i ELSE 1 END"
            + " FROM generate_series(1, 20) i;");
    Workspace workspace = new Workspace(Files.createTempDirectory("findings"));
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: orders.customer
            kind: orphan
            child: orders.customer_id
            parent: customers.id
            schedule: '@every 1h'
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            store: {url: "%s", user: postgres}
            targets:
              app: {url: "%s", user: postgres}
            scheduler: {first_run_window: 0s}
            http: {port: 0, read_only: true}
            """
                .formatted(store.url(), target.url()));
    try (Worker worker = Worker.start(workspace.load(config), Clock.systemUTC())) {
      String base = "http://127.0.0.1:" + worker.httpPort().orElseThrow();
      Eventually.within(
          Duration.ofSeconds(60), "the first run has finished", () -> runs(store) >= 1);
      worker.baselines().accept(List.of("orders.customer"), "alice", "TICKET-7");
      // order 1 is fixed (gone), orders 6 and 7 break (new)
      target.execute(
          "UPDATE orders SET customer_id = 1 WHERE id = 1;"
              + " UPDATE orders SET customer_id = 200 + id WHERE id IN (6, 7);");
      assertThat(worker.trigger("orders.customer")).isTrue();
      Eventually.within(
          Duration.ofSeconds(60), "the second run has finished", () -> runs(store) >= 2);

      String firstSeen =
          store
              .query(
                  "SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS t"
                      + " FROM integrity_auditor.audit_run ORDER BY id LIMIT 1")
              .get(0)
              .get("t")
              .toString();
      long alertId = store.queryLong("SELECT id FROM integrity_auditor.alert");
      for (String path : List.of("/audits/orders.customer", "/alerts/" + alertId)) {
        String html = page(base, path);
        assertThat(html)
            .as(path)
            .contains("<h2 id=\"findings\">Latest completed run</h2>")
            .contains(
                "<dt>Violating rows</dt><dd>6</dd><dt>In the baseline</dt><dd>4 (accepted by alice, <time")
            .contains(": “TICKET-7”)</dd><dt>Outside the baseline</dt><dd>2</dd>")
            .contains("<dt>Oldest open violation</dt><dd>first seen <time datetime=\"")
            .contains("\">" + firstSeen + " UTC</time>")
            .contains("<dt>Since the run before</dt><dd>2 new, 4 persisting, 1 gone</dd></dl>");
      }
      // the alert's sample keys: which are the rows outside the baseline (all shown here)
      assertThat(page(base, "/alerts/" + alertId))
          .contains(
              "<caption>Outside the baseline, of the keys above (2)</caption><thead><tr><th"
                  + " scope=\"col\">id</th><th scope=\"col\">customer_id</th></tr></thead><tbody>"
                  + "<tr><td>6</td><td>206</td></tr><tr><td>7</td><td>207</td></tr></tbody>")
          .doesNotContain("not among the");
    }
  }

  private static long runs(TestPostgres.Database store) {
    return store.queryLong(
        "SELECT count(*) FROM integrity_auditor.audit_run WHERE status IN ('ok', 'violations')");
  }
}
