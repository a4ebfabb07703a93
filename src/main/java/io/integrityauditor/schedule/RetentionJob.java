package io.integrityauditor.schedule;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/** Prunes old runs and resolved alerts once a day, on one node of the cluster. */
@DisallowConcurrentExecution
final class RetentionJob implements Job {
  static final String NAME = "retention";
  static final String GROUP = "maintenance";

  /** Daily at 03:17 UTC: off the hour, when few audits are scheduled. */
  static final String CRON = "0 17 3 * * ?";

  private final ScheduledAudits audits;

  RetentionJob(ScheduledAudits audits) {
    this.audits = audits;
  }

  @Override
  public void execute(JobExecutionContext context) {
    audits.pruneHistory();
  }
}
