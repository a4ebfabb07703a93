package io.integrityauditor.schedule;

import io.integrityauditor.store.RunTrigger;
import java.time.Instant;
import java.util.Map;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;

/**
 * The Quartz job of one audit: a thin adapter that works out which scheduled fire time this is (the
 * original one when a peer recovers the run of a dead node) and hands it to {@link FiredJobs}.
 * {@code @DisallowConcurrentExecution} is the first guard against overlapping runs; the store lease
 * is the second (see {@link io.integrityauditor.store.Leases}).
 */
@DisallowConcurrentExecution
public final class AuditJob implements Job {
  public static final String TRIGGER_KIND = "trigger";
  public static final String MANUAL = "manual";

  private final FiredJobs audits;

  public AuditJob(FiredJobs audits) {
    this.audits = audits;
  }

  @Override
  public void execute(JobExecutionContext context) {
    String auditId = context.getJobDetail().getKey().getName();
    RunTrigger trigger =
        MANUAL.equals(context.getTrigger().getJobDataMap().getString(TRIGGER_KIND))
            ? RunTrigger.MANUAL
            : RunTrigger.SCHEDULE;
    audits.runFired(auditId, trigger, fireTime(context), context.isRecovering());
  }

  /** The scheduled fire time; for a recovered run, the fire time of the run that was lost. */
  static Instant fireTime(JobExecutionContext context) {
    JobDataMap data = context.getMergedJobDataMap();
    String original =
        context.isRecovering()
            ? data.getString(
                Scheduler.FAILED_JOB_ORIGINAL_TRIGGER_SCHEDULED_FIRETIME_IN_MILLISECONDS)
            : null;
    if (original != null) {
      return Instant.ofEpochMilli(Long.parseLong(original));
    }
    return context.getScheduledFireTime().toInstant();
  }

  /** Adds a one-off trigger for the audit's job; false when the job does not exist. */
  public static boolean requestRun(Scheduler scheduler, String auditId) throws SchedulerException {
    JobKey key = JobKey.jobKey(auditId, QuartzCluster.GROUP);
    if (!scheduler.checkExists(key)) {
      return false;
    }
    scheduler.triggerJob(key, new JobDataMap(Map.of(TRIGGER_KIND, MANUAL)));
    return true;
  }
}
