package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * First runs due at once wait for a free thread in a queue, in fire-time order: a first run waiting
 * for its turn is not a misfire. Quartz's misfire handling reworked them under its trigger lock
 * (both nodes, 20 at a time) while the runs waited for the same lock: at 500 tenants x 20 audits
 * with every first run due at once the cycle ran about 1 run/s.
 */
class FirstRunQueueTest {
  private static final int AUDITS = 12;

  @TempDir Path dir;

  @Test
  void first_runs_due_at_once_run_each_once_at_their_own_fire_time_never_reworked_as_misfires()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("first_run_queue_store");
    List<AuditScheduler.ScheduledAudit> audits = TenantAudits.weekly(AUDITS);
    Queued fired = new Queued();
    Instant reconciled;
    // one thread and the shortest misfire threshold: each run holds the thread 400 ms, so the
    // last first runs wait about 4 s for it, four thresholds
    try (SchedulerOnStore node =
        SchedulerOnStore.open(
            dir, store, "first_run_window: 0s, threads: 1, misfire_threshold: 1s", fired)) {
      AuditScheduler scheduler = node.scheduler();
      assertThat(scheduler.reconcile(audits, true).added()).hasSize(AUDITS);
      reconciled = Instant.now();
      scheduler.start();
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (fired.runs.size() < AUDITS && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    }
    assertThat(fired.runs).as("audits run").hasSize(AUDITS);
    assertThat(fired.runs.keySet())
        .containsExactlyInAnyOrderElementsOf(
            audits.stream().map(AuditScheduler.ScheduledAudit::id).toList());
    // each ran for the fire time its first run was written with (the moment of the
    // reconciliation): a trigger Quartz had treated as misfired would have run for the moment its
    // misfire handler reached it instead
    assertThat(fired.runs.values().stream().distinct().toList())
        .as("fire times the first runs ran for")
        .hasSize(1)
        .allSatisfy(fireTime -> assertThat(fireTime).isBeforeOrEqualTo(reconciled));
    assertThat(fired.twice).as("audits run twice").isEmpty();
    assertThat(fired.misfires).as("fire times recorded as misfired").isEmpty();
  }

  /** Records each run and holds the one thread a while, as a run on a busy budget does. */
  private static final class Queued implements FiredJobs {
    final Map<String, Instant> runs = new ConcurrentHashMap<>();
    final List<String> twice = new CopyOnWriteArrayList<>();
    final List<String> misfires = new CopyOnWriteArrayList<>();

    @Override
    public void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering) {
      if (runs.putIfAbsent(auditId, fireTime) != null) {
        twice.add(auditId);
      }
      try {
        Thread.sleep(400);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void skippedOverrun(
        String auditId, Instant runFireTime, List<Instant> skipped, long notListed, Instant next) {
      throw new AssertionError("a weekly audit's run cannot overrun its interval here");
    }

    @Override
    public void skippedMisfire(String auditId, List<Instant> skipped, long notListed) {
      misfires.add(auditId);
    }

    @Override
    public void pruneHistory() {}
  }
}
