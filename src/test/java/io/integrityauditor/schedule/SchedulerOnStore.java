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
 * A node's scheduler on a migrated store, in the test's JVM, not started until the test starts it:
 * for tests of what reconciling the audit files writes to the store and of what Quartz then fires.
 */
final class SchedulerOnStore implements AutoCloseable {
  private final Store store;
  private final AuditScheduler scheduler;

  private SchedulerOnStore(Store store, AuditScheduler scheduler) {
    this.store = store;
    this.scheduler = scheduler;
  }

  /**
   * A scheduler that is never started ({@link NoJobs}), first runs due at once ({@code
   * first_run_window: 0s}).
   */
  static SchedulerOnStore open(Path dir, TestPostgres.Database store) throws SchedulerException {
    return open(dir, store, "first_run_window: 0s", new NoJobs());
  }

  /**
   * Opens and migrates {@code store}; the config's files are written to {@code dir}.
   *
   * @param scheduler the config's {@code scheduler:} settings, as a YAML flow mapping's entries
   * @param node what the scheduler's jobs call when they fire
   */
  static SchedulerOnStore open(
      Path dir, TestPostgres.Database store, String scheduler, FiredJobs node)
      throws SchedulerException {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/none.yaml", "audits: []\n");
    WorkerConfig config =
        workspace.load(
            workspace.config(
                TestPostgres.newDatabase("unstarted_target"),
                store,
                "scheduler: {" + scheduler + "}\n"));
    Store opened = Store.open(config.store().orElseThrow());
    try {
      opened.migrate();
      return new SchedulerOnStore(opened, AuditScheduler.create(opened, config, node));
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
