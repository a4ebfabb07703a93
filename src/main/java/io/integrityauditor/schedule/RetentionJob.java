package io.integrityauditor.schedule;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/** Prunes old runs and resolved alerts once a day, on one node of the cluster. */
@DisallowConcurrentExecution
public final class RetentionJob implements Job {
  public static final String NAME = "retention";
  public static final String GROUP = "maintenance";

  /** Daily at 03:17 UTC: off the hour, when few audits are scheduled. */
  public static final String CRON = "0 17 3 * * ?";

  private final FiredJobs audits;

  public RetentionJob(FiredJobs audits) {
    this.audits = audits;
  }

  @Override
  public void execute(JobExecutionContext context) {
    audits.pruneHistory();
  }
}
