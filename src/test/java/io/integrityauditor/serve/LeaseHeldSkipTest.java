package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.store.Leases;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduled fire refused because another node holds the audit's lease (issue 19): recorded as
 * skipped with reason {@code lease_held} and counted, not silently lost; a fire time that already
 * has a row (the holder's own run of it) is neither recorded twice nor counted. Rows of fire times
 * that have not run show no mode.
 */
class LeaseHeldSkipTest {
  static final Instant FIRE = Instant.parse("2026-12-04T20:00:00Z");
  static final Instant HOLDERS_FIRE = Instant.parse("2026-12-04T20:01:00Z");
  static final Instant RECOVERED_FIRE = Instant.parse("2026-12-04T20:02:00Z");

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
            // a second recovery of a killed node's fire time, while the first holds the lease
            // and has not recorded its run yet: recording it skipped would take the fire time
            // from the recovery that is running it
            assertThat(auditor.run(bound, RunTrigger.SCHEDULE, RECOVERED_FIRE, true)).isEmpty();
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
}
