package io.integrityauditor.schedule;

import io.integrityauditor.config.WorkerConfig;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;

/** Talks to a running cluster from another process (the {@code trigger} command). */
public final class ClusterClient {
  private ClusterClient() {}

  /**
   * Adds a one-off trigger for the audit to the shared job store. The scheduler created here is
   * never started: it only writes the trigger, and the cluster's nodes pick it up.
   *
   * @return false when the cluster has no job for this audit
   */
  public static boolean requestRun(WorkerConfig config, String auditId) throws SchedulerException {
    Scheduler client =
        QuartzCluster.create(
            config.store().orElseThrow(),
            config.scheduler(),
            "client-" + ProcessHandle.current().pid(),
            1,
            (bundle, scheduler) -> {
              throw new SchedulerException("a client never runs jobs");
            });
    try {
      return AuditJob.requestRun(client, auditId);
    } finally {
      client.shutdown(false);
    }
  }
}
