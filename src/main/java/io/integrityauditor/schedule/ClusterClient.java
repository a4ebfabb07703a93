package io.integrityauditor.schedule;

import io.integrityauditor.config.WorkerConfig;
import java.util.List;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.impl.matchers.GroupMatcher;

/**
 * Talks to a running cluster from another process (the {@code trigger} command), through the shared
 * job store. Its scheduler is never started: it only reads jobs and writes triggers, and the
 * cluster's nodes pick them up.
 */
public final class ClusterClient implements AutoCloseable {
  private final Scheduler client;

  private ClusterClient(Scheduler client) {
    this.client = client;
  }

  public static ClusterClient connect(WorkerConfig config) throws SchedulerException {
    return new ClusterClient(
        QuartzCluster.create(
            config.store().orElseThrow(),
            config.scheduler(),
            "client-" + ProcessHandle.current().pid(),
            1,
            (bundle, scheduler) -> {
              throw new SchedulerException("a client never runs jobs");
            }));
  }

  /**
   * Adds a one-off trigger for the audit to the shared job store.
   *
   * @return false when the cluster has no job for this audit
   */
  public boolean requestRun(String auditId) throws SchedulerException {
    return AuditJob.requestRun(client, auditId);
  }

  /** The audits scheduled in the cluster whose ids start with {@code prefix}, sorted. */
  public List<String> auditsStartingWith(String prefix) throws SchedulerException {
    return client.getJobKeys(GroupMatcher.jobGroupEquals(QuartzCluster.GROUP)).stream()
        .map(JobKey::getName)
        .filter(name -> name.startsWith(prefix))
        .sorted()
        .toList();
  }

  @Override
  public void close() throws SchedulerException {
    client.shutdown(false);
  }
}
