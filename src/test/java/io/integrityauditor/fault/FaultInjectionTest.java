package io.integrityauditor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.Exposition;
import io.integrityauditor.support.OrphanTarget;
import io.integrityauditor.support.RestartablePostgres;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into real PostgreSQL servers while the worker runs: a run that cannot finish is
 * recorded as such (never as 0 violations), the worker keeps going, and nothing is lost.
 */
class FaultInjectionTest {
  @TempDir Path dir;

  static final String SCHEMA = OrphanTarget.schema(3);

  private Worker worker(Workspace workspace, String storeUrl, String targetUrl, String audits)
      throws Exception {
    return worker(workspace, storeUrl, targetUrl, audits, Duration.ofSeconds(2));
  }

  private Worker worker(
      Workspace workspace,
      String storeUrl,
      String targetUrl,
      String audits,
      Duration storeConnectTimeout)
      throws Exception {
    workspace.write("audits/a.yaml", audits);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            node_id: fault-node
            store: {url: "%s", user: postgres, connect_timeout: %ds}
            targets:
              app: {url: "%s", user: postgres, connect_timeout: 2s}
            scheduler: {checkin_interval: 1s, catalog_refresh: 1h, first_run_window: 0s}
            retry: {attempts: 2, initial_backoff: 200ms}
            http: {port: 0, read_only: true}
            """
                .formatted(storeUrl, storeConnectTimeout.toSeconds(), targetUrl));
    return Worker.start(workspace.load(config), Clock.systemUTC());
  }

  private static long runs(TestPostgres.Database store, String where) {
    try {
      return store.queryLong("SELECT count(*) FROM integrity_auditor.audit_run WHERE " + where);
    } catch (IllegalStateException unavailable) {
      return -1;
    }
  }

  /**
   * Created once, before any request is timed: a new client builds the default TLS context (reads
   * the JDK's trust store), which took 6 to 19 s of a timed scrape at nice 19 next to four CPU
   * burners at nice 0, and nothing of it is the worker's.
   */
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  /**
   * The store's connect timeout in the store outage test: what a read of the stopped store waits
   * before it fails, and what a scrape or probe that waited for the store would take at least.
   */
  private static final Duration STORE_WAIT = Duration.ofSeconds(5);

  /**
   * What a scrape or probe may take while the store is down: the two of them within {@link
   * #STORE_WAIT}, so that a read of the store started before them is still waiting when they
   * answered.
   */
  private static final Duration SCRAPE_BOUND = Duration.ofSeconds(2);

  private static HttpResponse<String> get(Worker worker, String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(
                URI.create("http://localhost:" + worker.httpPort().orElseThrow() + path))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, Double> scrape(Worker worker) throws Exception {
    HttpResponse<String> response = get(worker, "/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    return Exposition.parse(response.body());
  }

  @Test
  void a_target_stopped_during_a_run_and_while_idle_is_recorded_as_error_and_recovers()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("fault_store");
    try (RestartablePostgres target = new RestartablePostgres(dir.resolve("target-data"))) {
      target.database().execute(SCHEMA);
      try (Worker worker =
          worker(
              new Workspace(dir),
              store.url(),
              target.url(),
              """
              audits:
                - {id: slow, kind: orphan, child: child_3s.parent_id, parent: parent.id, schedule: "@every 1h"}
                - {id: quick, kind: orphan, child: child.parent_id, parent: parent.id, schedule: "@every 2s"}
              """)) {
        Eventually.within(
            Duration.ofSeconds(30),
            "the slow audit is running",
            () -> runs(store, "audit_id = 'slow' AND status = 'running'") == 1);
        target.stop();
        Instant stoppedAt = Instant.now();
        Eventually.within(
            Duration.ofSeconds(30),
            "the interrupted run is recorded",
            () -> runs(store, "audit_id = 'slow' AND status <> 'running'") == 1);
        assertThat(
                store.queryLong(
                    "SELECT count(*) FROM integrity_auditor.audit_run WHERE audit_id = 'slow' AND status = 'error' AND error_class = 'connection' AND violations IS NULL AND attempts = 2"))
            .isEqualTo(1);

        Eventually.within(
            Duration.ofSeconds(30),
            "an idle-time run failed too",
            () ->
                runs(
                        store,
                        "audit_id = 'quick' AND status = 'error' AND started_at > '"
                            + stoppedAt
                            + "'")
                    >= 1);
        worker.probeTargets();
        Map<String, Double> down = scrape(worker);
        assertThat(down.get("integrity_audit_target_up{target=\"app\"}")).isEqualTo(0.0);
        worker.metrics().refresh();
        assertThat(
                scrape(worker)
                    .get(
                        Exposition.audit(
                            "integrity_audit_last_run_failed",
                            "quick",
                            "orphan",
                            "critical",
                            "app")))
            .isEqualTo(1.0);

        target.start();
        Instant restartedAt = Instant.now();
        Eventually.within(
            Duration.ofSeconds(30),
            "the next run succeeds",
            () ->
                runs(
                        store,
                        "audit_id = 'quick' AND status = 'violations' AND started_at > '"
                            + restartedAt
                            + "'")
                    >= 1);
        worker.probeTargets();
        assertThat(scrape(worker).get("integrity_audit_target_up{target=\"app\"}")).isEqualTo(1.0);
        assertThat(runs(store, "status = 'ok' OR (status = 'violations' AND violations <> 1)"))
            .isZero();
      }
    }
  }

  @Test
  void the_store_stopped_then_back_loses_no_result_and_metrics_keep_answering() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("fault_target");
    target.execute(SCHEMA);
    try (RestartablePostgres storeServer = new RestartablePostgres(dir.resolve("store-data"))) {
      TestPostgres.Database store = storeServer.database();
      try (Worker worker =
          worker(
              new Workspace(dir),
              storeServer.url(),
              target.url(),
              """
              audits:
                - {id: slow, kind: orphan, child: child_3s.parent_id, parent: parent.id, schedule: "@every 1h"}
              """,
              STORE_WAIT)) {
        Eventually.within(
            Duration.ofSeconds(30),
            "the slow audit is running",
            () -> runs(store, "status = 'running'") == 1);
        long runId =
            store.queryLong("SELECT id FROM integrity_auditor.audit_run WHERE status = 'running'");
        // a value read from the store before the outage (when the audit was first scheduled)
        String scheduled =
            Exposition.audit(
                "integrity_audit_schedule_start_timestamp_seconds",
                "slow",
                "orphan",
                "critical",
                "app");
        double scheduledAt = scrape(worker).get(scheduled);
        assertThat(scheduledAt).isGreaterThan(0.0);
        // both routes answer once before any is timed: a route's first answer loads and
        // interprets its code, which at nice 19 next to four CPU burners at nice 0 (well under 1%
        // of a core for this JVM) can take seconds that have nothing to do with the store
        assertThat(get(worker, "/health/ready").statusCode()).isEqualTo(200);
        storeServer.stop();
        worker.metrics().refresh();
        // A read of the store now fails (at once, or after its connect timeout under load); the
        // scrapes and probes answer without it, from what the node already knows.
        CompletableFuture<Void> reading = CompletableFuture.runAsync(worker.metrics()::refresh);
        long start = System.nanoTime();
        Map<String, Double> samples = scrape(worker);
        Duration scraped = Duration.ofNanos(System.nanoTime() - start);
        start = System.nanoTime();
        HttpResponse<String> ready = get(worker, "/health/ready");
        Duration probed = Duration.ofNanos(System.nanoTime() - start);
        // (whether the concurrent read is still waiting depends on the machine: on an idle one a
        // read of a stopped store fails in milliseconds, under load it waits; the bounds hold both)
        assertThat(scraped).as("GET /metrics while the store is down").isLessThan(SCRAPE_BOUND);
        assertThat(probed).as("GET /health/ready while the store is down").isLessThan(SCRAPE_BOUND);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"store\":\"down\"");
        assertThat(samples.get("integrity_audit_store_up")).isEqualTo(0.0);
        // the last known values stay, and say how old they are
        assertThat(samples.get(scheduled)).isEqualTo(scheduledAt);
        double age = samples.get("integrity_audit_store_read_age_seconds");
        assertThat(age).isGreaterThan(0.0);
        reading.get();
        Eventually.pause(5_000); // the audit finishes while the store is away
        assertThat(scrape(worker).get("integrity_audit_store_read_age_seconds"))
            .as("the values' age grows while the store is down")
            .isGreaterThanOrEqualTo(age + 5);

        storeServer.start();
        Eventually.within(
            Duration.ofSeconds(60),
            "the result measured during the outage is recorded",
            () ->
                runs(store, "id = " + runId + " AND status = 'violations' AND violations = 1")
                    == 1);
        assertThat(
                store.queryLong(
                    "SELECT count(*) FROM integrity_auditor.alert WHERE state = 'open' AND last_run_id = "
                        + runId))
            .isEqualTo(1);
        worker.metrics().refresh();
        Map<String, Double> back = scrape(worker);
        assertThat(back.get("integrity_audit_store_up")).isEqualTo(1.0);
        assertThat(back.get("integrity_audit_store_read_age_seconds")).isLessThan(age);
        assertThat(get(worker, "/health/ready").statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void a_connection_killed_mid_query_is_retried_and_the_pool_recovers() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("fault_kill");
    target.execute(SCHEMA);
    String audits =
        """
        audits:
          - {id: killme, kind: orphan, child: child_3s.parent_id, parent: parent.id}
        """;
    CompletableFuture<AuditResult> running =
        CompletableFuture.supplyAsync(() -> Audits.run(dir, target, audits).get("killme"));
    Eventually.within(
        Duration.ofSeconds(30),
        "the audit query is running",
        () ->
            target.queryLong(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                        + " 'integrity-auditor:killme' AND state = 'active'")
                == 1);
    target.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name ="
            + " 'integrity-auditor:killme'");
    AuditResult result = running.get();
    assertThat(result.status()).isEqualTo(RunStatus.VIOLATIONS);
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(result.measurement().orElseThrow().violations()).isEqualTo(1);
  }

  @Test
  void a_replica_conflict_is_retried_with_backoff_then_reported_inconclusive_never_clean() {
    TestPostgres.Database target = TestPostgres.newDatabase("fault_conflict");
    target.execute(
        SCHEMA
            + """
            CREATE TABLE conflict_control (fail_until timestamptz NOT NULL);
            -- what a hot standby raises when replay must remove rows a query still needs
            CREATE FUNCTION replayed(id int) RETURNS int LANGUAGE plpgsql STABLE AS $$
            BEGIN
              IF clock_timestamp() < (SELECT fail_until FROM conflict_control) THEN
                RAISE EXCEPTION 'canceling statement due to conflict with recovery'
                  USING ERRCODE = '40001',
                        DETAIL = 'User query might have needed to see row versions that must be removed.';
              END IF;
              RETURN id;
            END $$;
            CREATE VIEW standby_child AS SELECT id, replayed(parent_id) AS parent_id FROM child;
            """);
    String audits =
        """
        audits:
          - {id: standby, kind: orphan, child: standby_child.parent_id, parent: parent.id}
        """;
    // A conflict that clears 3 s after it starts, started once the audit is loaded and bound (the
    // set-up takes anything from 1 to 30 s on a loaded machine), right before it runs. Six attempts
    // 0.5-1 s apart: the first fails, a later one succeeds.
    String retry = "retry: {attempts: 6, initial_backoff: 500ms, max_backoff: 1s}\n";
    AuditResult recovered =
        Audits.withBinding(
            dir,
            target,
            null,
            audits,
            retry,
            (auditor, binding, loaded) -> {
              target.execute(
                  "INSERT INTO conflict_control VALUES (clock_timestamp() + interval '3 seconds')");
              return auditor.runAll(binding, loaded, RunTrigger.CHECK).get(0);
            });
    assertThat(recovered.status()).isEqualTo(RunStatus.VIOLATIONS);
    assertThat(recovered.attempts()).isBetween(2, 6);

    target.execute("UPDATE conflict_control SET fail_until = 'infinity'");
    AuditResult inconclusive = Audits.run(dir, target, audits).get("standby");
    assertThat(inconclusive.status()).isEqualTo(RunStatus.ERROR);
    assertThat(inconclusive.measurement()).isEmpty();
    assertThat(inconclusive.attempts()).isEqualTo(3);
    assertThat(inconclusive.error().orElseThrow().errorClass()).isEqualTo("replica_conflict");
    assertThat(inconclusive.error().orElseThrow().message())
        .startsWith("inconclusive after 3 attempts: ")
        .contains("conflict with recovery");
  }
}
