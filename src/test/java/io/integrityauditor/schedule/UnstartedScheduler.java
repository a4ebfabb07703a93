package io.integrityauditor.schedule;

import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import org.quartz.SchedulerException;

/**
 * A node's scheduler on a migrated store, never started (nothing fires, {@link NoJobs}): for tests
 * of what reconciling the audit files writes to the store. First runs are due at once ({@code
 * first_run_window: 0s}).
 */
final class UnstartedScheduler implements AutoCloseable {
  private final Store store;
  private final AuditScheduler scheduler;

  private UnstartedScheduler(Store store, AuditScheduler scheduler) {
    this.store = store;
    this.scheduler = scheduler;
  }

  /** Opens and migrates {@code store}; the config's files are written to {@code dir}. */
  static UnstartedScheduler open(Path dir, TestPostgres.Database store) throws SchedulerException {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/none.yaml", "audits: []\n");
    WorkerConfig config =
        workspace.load(
            workspace.config(
                TestPostgres.newDatabase("unstarted_target"),
                store,
                "scheduler: {first_run_window: 0s}\n"));
    Store opened = Store.open(config.store().orElseThrow());
    try {
      opened.migrate();
      return new UnstartedScheduler(opened, AuditScheduler.create(opened, config, new NoJobs()));
    } catch (RuntimeException | SchedulerException e) {
      opened.close();
      throw e;
    }
  }

  /** An audit scheduled {@code @weekly} whose statements hash to {@code fingerprint}. */
  static AuditScheduler.ScheduledAudit weekly(String id, String fingerprint) {
    return new AuditScheduler.ScheduledAudit(
        id, "audit " + id, Schedule.parse("@weekly", ZoneOffset.UTC), fingerprint);
  }

  AuditScheduler scheduler() {
    return scheduler;
  }

  @Override
  public void close() throws InterruptedException {
    try {
      scheduler.shutdown(Duration.ofSeconds(10));
    } finally {
      store.close();
    }
  }
}
