package io.integrityauditor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.FleetMember;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.schedule.QuartzTriggers;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.Exposition;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of tenant databases scraped over HTTP: one aggregated series set per audit of the
 * template, whatever the number of tenants; per-tenant series only where an audit opts in.
 */
class FleetMetricsTest {
  static final String PREFIX = "fleetmetrics_t";

  @TempDir Path dir;

  final HttpClient client = HttpClient.newHttpClient();

  /** SQL on the shared server's maintenance database (CREATE and DROP DATABASE). */
  static void serverSql(String sql) {
    new TestPostgres.Database("postgres", TestPostgres.server()).execute(sql);
  }

  /** A tenant database with {@code orphans} orders without a customer. */
  static void tenant(int number, int orphans) {
    String name = PREFIX + number;
    serverSql("CREATE DATABASE " + name);
    new TestPostgres.Database(name, TestPostgres.server())
        .execute(
            """
            CREATE TABLE customers (id int PRIMARY KEY);
            INSERT INTO customers SELECT generate_series(1, 10);
            CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
            INSERT INTO orders SELECT i, i FROM generate_series(1, 10) i;
            INSERT INTO orders SELECT 100 + i, 900 + i FROM generate_series(1, %d) i;
            """
                .formatted(orphans));
  }

  static final String AUDITS =
      """
      audits:
        - id: orders.customer
          target: tenants
          kind: orphan
          child: orders.customer_id
          parent: customers.id
          lock_timeout: 200ms
          threshold: {max_violations: 2}
        - id: orders.customer.each
          target: tenants
          tenants: ["*_t1", "*_t2"]
          metrics: {per_tenant: true}
          kind: orphan
          child: orders.customer_id
          parent: customers.id
        - id: orders.customer.plain
          target: plain
          kind: orphan
          child: orders.customer_id
          parent: customers.id
      """;

  private Map<String, Double> scrape(String base) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/metrics")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return Exposition.parse(response.body());
  }

  private static String fleet(String metric) {
    return "integrity_audit_fleet_"
        + metric
        + "{audit=\"orders.customer\",kind=\"orphan\",owner=\"\",severity=\"critical\","
        + "template=\"tenants\"}";
  }

  private static String worst(int rank, int tenant) {
    return "integrity_audit_fleet_worst_violations{audit=\"orders.customer\",kind=\"orphan\","
        + "owner=\"\",rank=\""
        + rank
        + "\",severity=\"critical\",template=\"tenants\",tenant=\""
        + PREFIX
        + tenant
        + "\"}";
  }

  /** Every series of the fleet audit orders.customer. */
  private static Map<String, Double> fleetSeries(Map<String, Double> samples) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().contains("audit=\"orders.customer\","))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  @Test
  void
      a_fleet_audit_exports_aggregates_and_its_worst_tenants_in_a_series_count_independent_of_tenants()
          throws Exception {
    // tenants 1-7: 0, 1, 1, 2, 3, 4 and 6 orphaned orders; tenant 8's run fails (its table is
    // locked by a "migration" while it runs)
    int[] orphans = {0, 1, 1, 2, 3, 4, 6, 0};
    for (int i = 1; i <= 10; i++) {
      serverSql("DROP DATABASE IF EXISTS " + PREFIX + i + " WITH (FORCE)");
    }
    for (int i = 0; i < orphans.length; i++) {
      tenant(i + 1, orphans[i]);
    }
    TestPostgres.Database plain = TestPostgres.newDatabase("fleetmetrics_plain");
    plain.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int); INSERT INTO orders VALUES (1, 7);");
    TestPostgres.Database storeDb = TestPostgres.newDatabase("fleetmetrics_store");
    Workspace workspace = new Workspace(dir);
    workspace.write("token", "fleet-metrics-token-1c9e");
    workspace.write("audits/fleet.yaml", AUDITS);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            store: {url: "%s", user: postgres}
            targets:
              tenants:
                url: jdbc:postgresql://localhost:%d/postgres
                user: postgres
                databases: "%s*"
              plain: {url: "%s", user: postgres}
            http: {port: 0, token_file: token}
            scheduler: {first_run_window: 0s}   # every first run at once, not spread
            """
                .formatted(storeDb.url(), TestPostgres.server().getPort(), PREFIX, plain.url()));
    TestPostgres.Database locked = new TestPostgres.Database(PREFIX + 8, TestPostgres.server());
    AutoCloseable migration = locked.lockExclusively("customers");
    try (Worker worker = Worker.start(workspace.load(config), Clock.systemUTC())) {
      String base = "http://localhost:" + worker.httpPort().orElseThrow();
      try (migration) {
        // 8 tenants of orders.customer, 2 of orders.customer.each, 1 plain audit
        Eventually.within(
            Duration.ofSeconds(60),
            "every first run is recorded",
            () -> storeDb.queryLong("SELECT count(*) FROM integrity_auditor.audit_latest") == 11);
      }
      String plainViolations =
          Exposition.audit(
              "integrity_audit_violations", "orders.customer.plain", "orphan", "critical", "plain");
      // the metrics read the store every 5 s
      Eventually.within(
          Duration.ofSeconds(30),
          "the metrics read every run",
          () -> {
            Map<String, Double> now = scrapeQuietly(base);
            return now.getOrDefault(fleet("tenants_checked"), 0.0) == 7
                && now.getOrDefault(fleet("tenants_failing"), 0.0) == 1
                && now.getOrDefault(plainViolations, 0.0) == 1;
          });
      Map<String, Double> samples = scrape(base);

      assertThat(samples.get(fleet("tenants"))).isEqualTo(8.0);
      assertThat(samples.get(fleet("tenants_checked"))).isEqualTo(7.0);
      assertThat(samples.get(fleet("tenants_with_violations"))).isEqualTo(6.0);
      assertThat(samples.get(fleet("tenants_breaching"))).isEqualTo(3.0); // 3, 4 and 6 > 2
      assertThat(samples.get(fleet("tenants_failing"))).isEqualTo(1.0);
      assertThat(samples.get(fleet("violations"))).isEqualTo(17.0);
      assertThat(samples.get(fleet("rows_checked"))).isEqualTo(7 * 10 + 17.0);
      assertThat(samples.get(fleet("max_consecutive_failures"))).isEqualTo(1.0);
      assertThat(samples.get(fleet("expected_interval_seconds"))).isEqualTo(7 * 24 * 3600.0);
      assertThat(samples.get(fleet("per_tenant_series"))).isEqualTo(0.0);
      // the failing tenant never completed a run: the fleet is as stale as its schedule is old
      try (Store store =
          Store.open(
              new DatabaseConfig(
                  storeDb.url(), "postgres", Optional.empty(), 2, Duration.ofSeconds(2)))) {
        long start = QuartzTriggers.startTimes(store).get("orders.customer@" + PREFIX + 8);
        assertThat(samples.get(fleet("oldest_success_timestamp_seconds")))
            .isEqualTo(start / 1000.0);
      }
      long lastRun =
          storeDb.queryLong(
              "SELECT floor(extract(epoch FROM max(last_finished_at)) * 1000)::bigint"
                  + " FROM integrity_auditor.audit_latest WHERE audit_id LIKE 'orders.customer@%'");
      assertThat(samples.get(fleet("last_run_timestamp_seconds"))).isEqualTo(lastRun / 1000.0);
      // the five worst, ties by name: tenant 2 before tenant 3
      assertThat(samples.get(worst(1, 7))).isEqualTo(6.0);
      assertThat(samples.get(worst(2, 6))).isEqualTo(4.0);
      assertThat(samples.get(worst(3, 5))).isEqualTo(3.0);
      assertThat(samples.get(worst(4, 4))).isEqualTo(2.0);
      assertThat(samples.get(worst(5, 2))).isEqualTo(1.0);
      assertThat(fleetSeries(samples)).hasSize(FleetSeries.FIXED_SERIES + 5);
      // every fleet metric the shipped rules and dashboard use is exported (the CI's Prometheus
      // end-to-end run scrapes the demo, which has no template)
      Set<String> exported =
          samples.keySet().stream().map(k -> k.replaceAll("\\{.*", "")).collect(Collectors.toSet());
      for (String file :
          List.of(
              "deploy/prometheus/integrity-auditor.rules.yml",
              "deploy/grafana/integrity-auditor.json")) {
        Matcher used =
            Pattern.compile("integrity_audit_fleet_[a-z_]+")
                .matcher(Files.readString(Path.of(file)));
        while (used.find()) {
          assertThat(exported).as(file).contains(used.group());
        }
      }
      // no tenant of the fleet audit has series of its own ...
      assertThat(samples.keySet()).noneMatch(k -> k.contains("audit=\"orders.customer@"));
      // ... those of the audit that opted in do, next to its aggregates
      assertThat(
              samples.get(
                  Exposition.audit(
                      "integrity_audit_violations",
                      "orders.customer.each@" + PREFIX + 2,
                      "orphan",
                      "critical",
                      "tenants@" + PREFIX + 2)))
          .isEqualTo(1.0);
      assertThat(
              samples.get(
                  fleet("per_tenant_series").replace("orders.customer", "orders.customer.each")))
          .isEqualTo(1.0);
      // an audit of a single database keeps its series as before
      assertThat(samples.get(plainViolations)).isEqualTo(1.0);
      int before = samples.size();
      // 32 per audit with series of its own (2 opted-in tenants, 1 plain audit), 12 + ranks per
      // fleet audit (5 worst; 1 tenant of orders.customer.each has violations), 2 per target, 15
      // of the node (its clock offset and misfire threshold, the store values' age, the audit
      // files'
      // fingerprint and the count of fires for audits it does not define among them)
      assertThat(before)
          .isEqualTo(
              32 * 3
                  + (FleetSeries.FIXED_SERIES + 5)
                  + (FleetSeries.FIXED_SERIES + 1)
                  + 2 * 2
                  + 15);

      // two more tenants: the same number of series for the fleet audit, other ranks
      tenant(9, 5);
      tenant(10, 0);
      worker.reload();
      Eventually.within(
          Duration.ofSeconds(60),
          "the new tenants' runs are read",
          () -> scrapeQuietly(base).getOrDefault(fleet("tenants_checked"), 0.0) == 9);
      Map<String, Double> grown = scrape(base);
      assertThat(grown.get(fleet("tenants"))).isEqualTo(10.0);
      // the new tenants' first runs fire as soon as they are scheduled: none may find its audit
      // unknown to the node (a reload used to schedule them before making them active)
      assertThat(grown.get("integrity_audit_undefined_audit_fires_total")).isEqualTo(0.0);
      assertThat(grown.get(fleet("violations"))).isEqualTo(22.0);
      assertThat(grown.get(worst(2, 9))).isEqualTo(5.0);
      assertThat(grown.get(worst(5, 4))).isEqualTo(2.0);
      assertThat(grown).doesNotContainKey(worst(5, 2));
      assertThat(fleetSeries(grown)).hasSize(FleetSeries.FIXED_SERIES + 5);
      // the whole exposition: only the opted-in audit's tenants add series, and none of them is new
      assertThat(grown.size()).isEqualTo(before);
    }
  }

  @Test
  void metrics_settings_are_read_on_the_audits_of_a_template_and_refused_elsewhere_at_their_line() {
    Path file =
        new Workspace(dir)
            .write(
                "fleet.yaml",
                """
                audits:
                  - id: fleet.defaults
                    target: tenants
                    kind: orphan
                    child: orders.customer_id
                    parent: customers.id
                  - id: fleet.opted
                    target: tenants
                    metrics: {per_tenant: true, worst_tenants: 10}
                    kind: orphan
                    child: orders.customer_id
                    parent: customers.id
                  - id: plain.one
                    target: plain
                    metrics: {per_tenant: true}
                    kind: orphan
                    child: orders.customer_id
                    parent: customers.id
                  - id: fleet.wrong
                    target: tenants
                    metrics:
                      per_tenant: maybe
                      worst_tenants: 51
                      per_tenants: true
                    kind: orphan
                    child: orders.customer_id
                    parent: customers.id
                """);
    AuditSet set =
        new AuditFileLoader(
                Set.of("tenants", "plain"),
                AuditKinds.ALL,
                Map.of("tenants", List.of("acme", "globex")))
            .load(List.of(file));
    assertThat(set.problems().stream().map(ConfigProblem::format))
        .containsExactly(
            file
                + ":15: audit 'plain.one': key 'metrics': sets how the tenants of a template appear"
                + " in the metrics (per_tenant, worst_tenants); target plain is a single database,"
                + " whose audit has its own series already: remove it",
            file
                + ":22: audit 'fleet.wrong': key 'metrics.per_tenant': expected true or false,"
                + " found 'maybe'",
            file
                + ":23: audit 'fleet.wrong': key 'metrics.worst_tenants': must be between 0 and 50,"
                + " found 51",
            file
                + ":24: audit 'fleet.wrong': key 'metrics.per_tenants': unknown key (did you mean"
                + " per_tenant?); known keys here: per_tenant, worst_tenants");
    assertThat(set.find("fleet.defaults@acme").orElseThrow().fleet())
        .contains(
            new FleetMember("fleet.defaults", "tenants", "acme", FleetMember.Metrics.DEFAULT));
    assertThat(set.find("fleet.opted@globex").orElseThrow().fleet())
        .contains(
            new FleetMember("fleet.opted", "tenants", "globex", new FleetMember.Metrics(true, 10)));
    assertThat(set.audits().stream().map(Audit::id))
        .containsExactly(
            "fleet.defaults@acme",
            "fleet.defaults@globex",
            "fleet.opted@acme",
            "fleet.opted@globex");
  }

  /**
   * The issue's fleet: 500 tenants × 20 audits, their latest results in a real store (written there
   * directly: running 10,000 audits is fbench's fleet benchmark). The exposition has the documented
   * 12 + 5 series per audit, 2 for the target and 10 of the worker.
   */
  @Test
  void five_hundred_tenants_times_twenty_audits_export_352_series_not_310_000() {
    List<String> tenants = IntStream.rangeClosed(1, 500).mapToObj(t -> "tenant_" + t).toList();
    StringBuilder yaml = new StringBuilder("audits:\n");
    for (int a = 1; a <= 20; a++) {
      yaml.append("  - id: audit.a")
          .append(a)
          .append("\n    target: tenants\n    kind: orphan\n    child: orders.customer_id\n")
          .append("    parent: customers.id\n");
    }
    Path file = new Workspace(dir).write("fleet.yaml", yaml.toString());
    AuditSet set =
        new AuditFileLoader(Set.of("tenants"), AuditKinds.ALL, Map.of("tenants", tenants))
            .load(List.of(file));
    assertThat(set.problems()).isEmpty();
    assertThat(set.audits()).hasSize(10_000);
    TestPostgres.Database storeDb = TestPostgres.newDatabase("fleetmetrics_scale");
    try (Store store =
        Store.open(
            new DatabaseConfig(
                storeDb.url(), "postgres", Optional.empty(), 2, Duration.ofSeconds(2)))) {
      store.migrate();
      // tenant t: t mod 7 violating rows (breaching when > 0); every 50th tenant's latest run
      // failed (it keeps those counts)
      storeDb.execute(
          """
          INSERT INTO integrity_auditor.audit_latest (audit_id, target, kind, severity,
              last_run_id, last_status, last_finished_at, last_success_at, violations,
              rows_checked, threshold_breached, consecutive_failures)
          SELECT 'audit.a' || a || '@tenant_' || t, 'tenants@tenant_' || t, 'orphan', 'critical',
              1, CASE WHEN t % 50 = 0 THEN 'error' ELSE 'violations' END, now(), now(), t % 7,
              1000, t % 7 > 0, CASE WHEN t % 50 = 0 THEN 1 ELSE 0 END
          FROM generate_series(1, 20) a, generate_series(1, 500) t
          """);
      WorkerMetrics metrics =
          new WorkerMetrics(
              store, new AlertStore(store, Clock.systemUTC()), "test", List.of("tenants"));
      long start = System.nanoTime();
      metrics.auditsChanged(set.audits(), Audit::schedule);
      metrics.refresh();
      long setUp = System.nanoTime() - start;
      start = System.nanoTime();
      String text = metrics.scrape();
      long scrape = System.nanoTime() - start;
      Map<String, Double> samples = Exposition.parse(text);
      // for docs/metrics.md; no assertion on time (the machine may be loaded)
      System.out.printf(
          "500 tenants x 20 audits: %d series, %d bytes, set-up and first rendering %d ms,"
              + " scrape %d us%n",
          samples.size(), text.length(), setUp / 1_000_000, scrape / 1_000);
      // 2 for the target, 12 of the node (no scheduler here: no clock offset, threshold nor audit
      // files' fingerprint)
      assertThat(samples).hasSize(20 * (FleetSeries.FIXED_SERIES + 5) + 2 + 12);
      String audit = "audit=\"audit.a7\",kind=\"orphan\",owner=\"\",";
      String labels = "{" + audit + "severity=\"critical\",template=\"tenants\"}";
      assertThat(samples.get("integrity_audit_fleet_tenants" + labels)).isEqualTo(500.0);
      assertThat(samples.get("integrity_audit_fleet_tenants_checked" + labels)).isEqualTo(500.0);
      assertThat(samples.get("integrity_audit_fleet_tenants_breaching" + labels)).isEqualTo(429.0);
      assertThat(samples.get("integrity_audit_fleet_tenants_failing" + labels)).isEqualTo(10.0);
      assertThat(samples.get("integrity_audit_fleet_violations" + labels)).isEqualTo(1497.0);
      assertThat(samples.get("integrity_audit_fleet_rows_checked" + labels)).isEqualTo(500_000.0);
      // six rows each for tenants 6, 13, ..., 496: the first five by name
      List<String> worst =
          List.of("tenant_104", "tenant_111", "tenant_118", "tenant_125", "tenant_13");
      for (int rank = 1; rank <= 5; rank++) {
        assertThat(
                samples.get(
                    "integrity_audit_fleet_worst_violations{"
                        + audit
                        + "rank=\""
                        + rank
                        + "\",severity=\"critical\",template=\"tenants\",tenant=\""
                        + worst.get(rank - 1)
                        + "\"}"))
            .isEqualTo(6.0);
      }
    }
  }

  private Map<String, Double> scrapeQuietly(String base) {
    try {
      return scrape(base);
    } catch (Exception e) {
      return Map.of();
    }
  }
}
