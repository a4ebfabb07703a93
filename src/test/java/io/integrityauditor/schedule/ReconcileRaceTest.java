package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two reconciliations of the same audit files at the same moment (two nodes starting together, or a
 * reload on both): each audit's job and first run are written once. When both read "new" before
 * either wrote, the second wrote them again, and a first run with {@code first_run_window: 0s} that
 * had already fired ran the audit a second time (103 runs for 100 audits in the fleet bench).
 */
class ReconcileRaceTest {
  @TempDir Path dir;

  @Test
  void two_reconciliations_at_once_write_each_new_audit_once() throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("reconcile_store");
    List<AuditScheduler.ScheduledAudit> audits = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      audits.add(SchedulerOnStore.weekly("audit_" + i, "statements-" + i));
    }
    try (SchedulerOnStore unstarted = SchedulerOnStore.open(dir, store)) {
      AuditScheduler scheduler = unstarted.scheduler();
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<AuditScheduler.Changes>> changes = new ArrayList<>();
        for (int node = 0; node < 2; node++) {
          changes.add(
              threads.submit(
                  () -> {
                    together.await();
                    return scheduler.reconcile(audits, false);
                  }));
        }
        List<String> added = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        for (Future<AuditScheduler.Changes> change : changes) {
          added.addAll(change.get(2, TimeUnit.MINUTES).added());
          updated.addAll(change.get().updated());
        }
        assertThat(added).hasSize(200);
        assertThat(new HashSet<>(added)).hasSize(200);
        assertThat(updated).isEmpty();
        assertThat(
                store.queryLong(
                    "SELECT count(*) FROM integrity_auditor.qrtz_triggers"
                        + " WHERE trigger_group = '"
                        + FirstRun.GROUP
                        + "'"))
            .isEqualTo(200);
      } finally {
        threads.shutdownNow();
      }
    }
  }
}
