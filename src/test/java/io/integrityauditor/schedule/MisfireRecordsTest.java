package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Misfire skip records are written after Quartz's misfire transaction, not inside it (issue 19):
 * the callback runs inside the {@code TRIGGER_ACCESS} lock that every fire needs, and writing the
 * records there on a stuck store pool silenced the whole cluster for about a minute.
 */
class MisfireRecordsTest {
  /** A cap on waits that the fix makes short: only a node whose fires stopped reaches it. */
  private static final Duration CAP = Duration.ofMinutes(2);

  @TempDir Path dir;

  @Test
  void fires_go_on_while_the_records_of_misfired_fire_times_are_slow_to_write_and_none_is_lost()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("misfire_records_store");
    TestPostgres.Database target = TestPostgres.newDatabase("misfire_records_target");
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/none.yaml", "audits: []\n");
    WorkerConfig config =
        workspace.load(
            workspace.config(
                target,
                store,
                "scheduler: {first_run_window: 0s, threads: 2, misfire_threshold: 1s}\n"));
    List<AuditScheduler.ScheduledAudit> audits =
        List.of("a", "b", "c").stream()
            .map(
                id ->
                    new AuditScheduler.ScheduledAudit(
                        id, id, Schedule.parse("@every 1s", ZoneOffset.UTC), "statements"))
            .toList();
    SlowRecords fired = new SlowRecords();
    try (Store opened = Store.open(config.store().orElseThrow())) {
      opened.migrate();
      AuditScheduler scheduler = AuditScheduler.create(opened, config, fired);
      try {
        scheduler.reconcile(audits, true);
        scheduler.start();
        // both threads held by two audits' runs: the third audit waits for a thread past the
        // threshold and is misfired, and the record of its misfire is then as slow as the store
        // lets it be
        assertThat(fired.recording.await(CAP.toSeconds(), TimeUnit.SECONDS))
            .as("a misfire is being recorded")
            .isTrue();
        fired.threads.countDown();
        int runsBefore = fired.runs.size();
        Eventually.within(
            CAP,
            "three more fires while a record waits",
            () -> fired.runs.size() >= runsBefore + 3);
        assertThat(fired.recorded).as("records written while the store is slow").isEmpty();
        fired.store.countDown();
        Eventually.within(CAP, "the misfires recorded", () -> !fired.recorded.isEmpty());
      } finally {
        fired.threads.countDown();
        fired.store.countDown();
        scheduler.shutdown(Duration.ofSeconds(10));
      }
    }
    for (Fire misfired : fired.recorded) {
      assertThat(fired.runs)
          .as("a fire time both run and recorded as misfired")
          .doesNotContain(misfired);
    }
  }

  record Fire(String auditId, Instant fireTime) {}

  /** Holds the first two runs until released, and each misfire record until the store answers. */
  private static final class SlowRecords implements FiredJobs {
    final CountDownLatch threads = new CountDownLatch(1);
    final CountDownLatch recording = new CountDownLatch(1);
    final CountDownLatch store = new CountDownLatch(1);
    final AtomicInteger started = new AtomicInteger();
    final List<Fire> runs = new CopyOnWriteArrayList<>();
    final List<Fire> recorded = new CopyOnWriteArrayList<>();

    @Override
    public void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering) {
      runs.add(new Fire(auditId, fireTime));
      if (started.getAndIncrement() < 2) {
        await(threads);
      }
    }

    @Override
    public void skippedOverrun(
        String auditId, Instant runFireTime, List<Instant> skipped, long notListed, Instant next) {}

    @Override
    public void skippedMisfire(String auditId, List<Instant> skipped, long notListed) {
      recording.countDown();
      await(store);
      skipped.forEach(fireTime -> recorded.add(new Fire(auditId, fireTime)));
    }

    @Override
    public void pruneHistory() {}

    /** Longer than {@link #CAP}: without the fix, no fire may come while the record waits. */
    private static void await(CountDownLatch latch) {
      try {
        latch.await(CAP.toSeconds() * 2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
