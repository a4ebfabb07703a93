package io.integrityauditor.schedule;

import io.integrityauditor.config.Redactor;
import io.integrityauditor.store.RunTrigger;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import javax.sql.DataSource;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Quartz job of one audit: a thin adapter that works out which scheduled fire time this is (the
 * original one when a peer recovers the run of a dead node) and hands it to {@link FiredJobs}.
 * {@code @DisallowConcurrentExecution} is the first guard against overlapping runs; the store lease
 * is the second (see {@link io.integrityauditor.store.Leases}). Fire times that came while the run
 * was going are skipped when it ends ({@link Overrun}).
 */
@DisallowConcurrentExecution
public final class AuditJob implements Job {
  public static final String TRIGGER_KIND = "trigger";
  public static final String MANUAL = "manual";

  private static final Logger LOG = LoggerFactory.getLogger(AuditJob.class);

  private final FiredJobs audits;
  private final DataSource store;

  /**
   * @param store the store database, which holds Quartz's tables
   */
  public AuditJob(FiredJobs audits, DataSource store) {
    this.audits = audits;
    this.store = store;
  }

  @Override
  public void execute(JobExecutionContext context) {
    String auditId = context.getJobDetail().getKey().getName();
    RunTrigger trigger =
        MANUAL.equals(context.getTrigger().getJobDataMap().getString(TRIGGER_KIND))
            ? RunTrigger.MANUAL
            : RunTrigger.SCHEDULE;
    Instant fireTime = fireTime(context);
    audits.runFired(auditId, trigger, fireTime, context.isRecovering());
    skipPassedFireTimes(context, auditId, fireTime);
  }

  /** Never throws: the trigger must be unblocked whatever happens here. */
  private void skipPassedFireTimes(JobExecutionContext context, String auditId, Instant fireTime) {
    try {
      // the store's now, as for every comparison with fire times (StoreClock)
      Instant now = StoreClock.of(context.getScheduler().getSchedulerInstanceId()).now();
      Overrun.skipPassedFireTimes(context.getScheduler(), store, auditId, now)
          .filter(skipped -> !skipped.fireTimes().isEmpty())
          .ifPresent(
              skipped ->
                  audits.skippedOverrun(
                      auditId, fireTime, skipped.fireTimes(), skipped.notListed(), skipped.next()));
    } catch (SchedulerException | SQLException | RuntimeException e) {
      // the fire times then run late, one after the other, as without this step
      LOG.warn(
          "audit {}: cannot skip the fire times that came during its run: {}",
          auditId,
          Redactor.redact(String.valueOf(e.getMessage())));
    }
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
