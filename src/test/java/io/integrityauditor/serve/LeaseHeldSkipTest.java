package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.Leases;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduled fire refused because another node holds the audit's lease (issue 19): recorded as
 * skipped with reason {@code lease_held} and counted, not silently lost; a fire time that already
 * has a row (the holder's own run of it) is neither recorded twice nor counted. Rows of fire times
 * that have not run show no mode. A recovered fire time (its node died or was declared dead) waits
 * for the lease instead, and runs once the holder lets go of it.
 */
class LeaseHeldSkipTest {
  static final Instant FIRE = Instant.parse("2026-12-04T20:00:00Z");
  static final Instant HOLDERS_FIRE = Instant.parse("2026-12-04T20:01:00Z");
  static final Instant RECOVERED_FIRE = Instant.parse("2026-12-04T20:02:00Z");

  static final String AUDIT =
      """
      audits:
        - id: orders.customer
          kind: orphan
          child: orders.customer_id
          parent: customers.id
          timeout: 1s
      """;

  @TempDir Path dir;

  @Test
  void a_scheduled_fire_refused_because_another_node_holds_the_lease_is_recorded_as_skipped() {
    TestPostgres.Database target = TestPostgres.newDatabase("lease_target");
    TestPostgres.Database store = TestPostgres.newDatabase("lease_store");
    target.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int); INSERT INTO orders VALUES (1, 7);");
    Audits.withBinding(
        dir,
        target,
        store,
        """
        audits:
          - id: orders.customer
            kind: orphan
            child: orders.customer_id
            parent: customers.id
        """,
        "",
        (auditor, binding, audits) -> {
          BoundAudit bound = binding.bound().get(0);
          // the holder's run of its own fire time is in the history already
          auditor.runs().orElseThrow().begin(bound.audit(), RunTrigger.SCHEDULE, HOLDERS_FIRE);
          // another node: its own lease session on the same store
          try (Leases otherNode = new Leases(auditor.config().store().orElseThrow());
              Leases.Lease held = otherNode.tryAudit("orders.customer").orElseThrow()) {
            assertThat(auditor.run(bound, RunTrigger.SCHEDULE, FIRE)).isEmpty();
            assertThat(auditor.run(bound, RunTrigger.SCHEDULE, HOLDERS_FIRE)).isEmpty();
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
          return null;
        });
    List<Map<String, Object>> rows =
        store.query(
            "SELECT scheduled_fire_time, status, error_class, trigger_type, mode FROM"
                + " integrity_auditor.audit_run ORDER BY scheduled_fire_time");
    // neither has run, so neither has a mode (both showed 'full' before V14)
    assertThat(rows)
        .extracting(
            r ->
                r.get("status")
                    + " "
                    + r.get("error_class")
                    + " "
                    + r.get("trigger_type")
                    + " mode "
                    + r.get("mode"))
        .containsExactly(
            "skipped lease_held schedule mode null", "running null schedule mode null");
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_run WHERE"
                    + " scheduled_fire_time = '"
                    + FIRE
                    + "'"))
        .isEqualTo(1);
    assertThat(
            store.queryLong(
                "SELECT skipped FROM integrity_auditor.audit_skip_total WHERE audit_id ="
                    + " 'orders.customer' AND reason = 'lease_held'"))
        .isEqualTo(1);
  }

  /**
   * The defect the soak found: a node declared dead while its run went on (it outlived a store
   * outage) still holds the lease when a peer recovers that fire time; the peer dropped it, and
   * when the holder was then SIGKILLed the fire time was never run.
   */
  @Test
  void a_recovered_fire_time_waits_for_the_lease_and_runs_when_the_holder_dies_before_finishing()
      throws Exception {
    TestPostgres.Database target = ordersWithOneOrphan("recover_target");
    TestPostgres.Database store = TestPostgres.newDatabase("recover_store");
    Audits.withBinding(
        dir,
        target,
        store,
        AUDIT,
        "",
        (auditor, binding, audits) -> {
          BoundAudit bound = binding.bound().get(0);
          ExecutorService peer = Executors.newSingleThreadExecutor();
          try {
            // the "dead" node, still running the fire time: its run row and its lease
            Leases holderNode = new Leases(auditor.config().store().orElseThrow());
            Leases.Lease held = holderNode.tryAudit("orders.customer").orElseThrow();
            auditor.runs().orElseThrow().begin(bound.audit(), RunTrigger.SCHEDULE, RECOVERED_FIRE);
            Future<Optional<AuditResult>> recovery =
                peer.submit(() -> auditor.run(bound, RunTrigger.SCHEDULE, RECOVERED_FIRE, true));
            Eventually.pause(1_000);
            assertThat(recovery.isDone()).as("returned while the lease was held").isFalse();
            // SIGKILL of the holder: its session ends (the lease is free), its row stays running
            held.close();
            holderNode.close();
            Optional<AuditResult> result = recovery.get(2, TimeUnit.MINUTES);
            assertThat(result).map(AuditResult::status).contains(RunStatus.VIOLATIONS);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          } finally {
            peer.shutdownNow();
          }
          return null;
        });
    assertThat(
            store.query(
                "SELECT status FROM integrity_auditor.audit_run WHERE scheduled_fire_time = '"
                    + RECOVERED_FIRE
                    + "' ORDER BY id"))
        .extracting(r -> r.get("status"))
        .containsExactly("interrupted", "violations");
  }

  /**
   * A holder that keeps the lease for longer than the audit may run (a node frozen for good): the
   * recovered fire time waits that long plus one misfire threshold, then is recorded as skipped,
   * with the reason, rather than lost without a trace.
   */
  @Test
  void a_recovered_fire_time_whose_lease_stays_held_past_the_wait_is_recorded_as_skipped() {
    TestPostgres.Database target = ordersWithOneOrphan("held_target");
    TestPostgres.Database store = TestPostgres.newDatabase("held_store");
    Audits.withBinding(
        dir,
        target,
        store,
        AUDIT,
        "retry:\n  attempts: 1\nscheduler:\n  misfire_threshold: 1s\n",
        (auditor, binding, audits) -> {
          BoundAudit bound = binding.bound().get(0);
          assertThat(auditor.recoveryLeaseWait(bound.audit())).isEqualTo(Duration.ofSeconds(2));
          try (Leases frozenNode = new Leases(auditor.config().store().orElseThrow());
              Leases.Lease held = frozenNode.tryAudit("orders.customer").orElseThrow()) {
            long started = System.nanoTime();
            assertThat(auditor.run(bound, RunTrigger.SCHEDULE, RECOVERED_FIRE, true)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("waited for the lease")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
          return null;
        });
    assertThat(
            store.query(
                "SELECT status, error_class, error_message FROM integrity_auditor.audit_run"))
        .extracting(
            r -> r.get("status") + " " + r.get("error_class") + ": " + r.get("error_message"))
        .containsExactly(
            "skipped lease_held: another node held the audit's lease for longer than 2s while this"
                + " fire time was being recovered from a node that stopped");
  }

  private static TestPostgres.Database ordersWithOneOrphan(String name) {
    TestPostgres.Database target = TestPostgres.newDatabase(name);
    target.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int); INSERT INTO orders VALUES (1, 7);");
    return target;
  }
}
