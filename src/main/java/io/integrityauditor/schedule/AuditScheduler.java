package io.integrityauditor.schedule;

import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TimeZone;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.matchers.GroupMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's Quartz scheduler of the audits: one durable job per audit whose trigger follows the
 * audit's schedule, the daily retention job, manual runs, and the scheduler's start and stop. What
 * the jobs run is the node's ({@link FiredJobs}).
 */
public final class AuditScheduler {
  private static final Logger LOG = LoggerFactory.getLogger(AuditScheduler.class);

  private final Store store;
  private final Scheduler scheduler;
  private final Duration firstRunWindow;

  /**
   * An audit as the scheduler sees it: its job's identity, description and schedule.
   *
   * @param fingerprint what the audit checks (a hash of its statements): a changed one is a changed
   *     definition, which gets a first run like a new audit; empty when unknown (not bound)
   */
  public record ScheduledAudit(
      String id, String description, Schedule schedule, String fingerprint) {}

  /** What a reconciliation changed, by audit id. */
  public record Changes(List<String> added, List<String> updated, List<String> removed) {
    public Changes {
      added = List.copyOf(added);
      updated = List.copyOf(updated);
      removed = List.copyOf(removed);
    }
  }

  private final FiredJobs node;

  /** Records the misfires of this node once {@link #start()}ed. */
  private volatile Misfires misfires;

  private AuditScheduler(
      Store store, Scheduler scheduler, Duration firstRunWindow, FiredJobs node) {
    this.store = store;
    this.scheduler = scheduler;
    this.firstRunWindow = firstRunWindow;
    this.node = node;
  }

  /** Joins the cluster (the scheduler is not started yet: {@link #start()}). */
  public static AuditScheduler create(Store store, WorkerConfig config, FiredJobs node)
      throws SchedulerException {
    return new AuditScheduler(
        store,
        QuartzCluster.create(
            config.store().orElseThrow(),
            config.scheduler(),
            config.nodeId(),
            config.scheduler().threads(),
            (bundle, s) ->
                bundle.getJobDetail().getJobClass() == RetentionJob.class
                    ? new RetentionJob(node)
                    : new AuditJob(node, store.dataSource())),
        config.scheduler().firstRunWindow(),
        node);
  }

  public void start() throws SchedulerException {
    misfires = new Misfires(node);
    scheduler
        .getListenerManager()
        .addTriggerListener(misfires, GroupMatcher.triggerGroupEquals(QuartzCluster.GROUP));
    scheduler.start();
  }

  /**
   * Makes the audit jobs match {@code audits}: new ones added, changed definitions (schedule or
   * what the audit checks) replaced, and, when {@code removeOthers}, jobs of audits no longer
   * listed deleted. A new or changed audit gets its first run within the first-run window ({@link
   * FirstRun}).
   */
  public Changes reconcile(Collection<ScheduledAudit> audits, boolean removeOthers) {
    // the read of the jobs and the writes under one store lock: a peer reconciling the same files
    // at the same moment then sees this node's jobs as they are, instead of writing them again
    return store.exclusively(
        Store.OneNodeAtATime.JOB_RECONCILIATION, () -> reconcileAlone(audits, removeOthers));
  }

  private Changes reconcileAlone(Collection<ScheduledAudit> audits, boolean removeOthers) {
    List<String> added = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    try {
      // One read of every audit trigger's definition and one transaction for all the changes:
      // with a thousand audits, a round trip per audit would take seconds at every start.
      Map<String, String> existing = QuartzTriggers.definitions(store);
      Map<JobDetail, Set<? extends Trigger>> changes = new LinkedHashMap<>();
      Map<JobDetail, Set<? extends Trigger>> fresh = new LinkedHashMap<>();
      Set<String> wanted = new HashSet<>();
      // first runs and interval starts on the store's clock: they are fire times every node shares
      Instant now = StoreClock.of(scheduler.getSchedulerInstanceId()).now();
      for (ScheduledAudit audit : audits) {
        wanted.add(audit.id());
        String scheduled = scheduledPart(audit);
        String definition = scheduled + audit.fingerprint();
        String current = existing.get(audit.id());
        // no fingerprint: the audit could not be bound now (its target is down), and it is not
        // changed for that
        if (definition.equals(current)
            || (audit.fingerprint().isEmpty()
                && current != null
                && current.startsWith(scheduled))) {
          continue;
        }
        JobDetail job =
            JobBuilder.newJob(AuditJob.class)
                .withIdentity(audit.id(), QuartzCluster.GROUP)
                .withDescription(audit.description())
                .storeDurably()
                .requestRecovery()
                .build();
        Trigger trigger = trigger(audit.id(), audit.schedule(), definition, now);
        Set<Trigger> triggers =
            FirstRun.trigger(audit.id(), trigger, firstRunWindow, now)
                .<Set<Trigger>>map(first -> Set.of(trigger, first))
                .orElse(Set.of(trigger));
        if (existing.containsKey(audit.id())) {
          changes.put(job, triggers);
          updated.add(audit.id());
        } else {
          fresh.put(job, triggers);
          added.add(audit.id());
        }
      }
      // new jobs before the scheduler starts (a first start with many audits): batched inserts;
      // otherwise, and whenever the bulk path declines, the Quartz API
      if (!fresh.isEmpty()
          && !(!scheduler.isStarted()
              && QuartzBulkInsert.insertNew(
                  store.dataSource(), QuartzCluster.SCHEDULER_NAME, fresh))) {
        changes.putAll(fresh);
      }
      if (!changes.isEmpty()) {
        scheduler.scheduleJobs(changes, true);
      }
      if (removeOthers) {
        for (JobKey key : scheduler.getJobKeys(GroupMatcher.jobGroupEquals(QuartzCluster.GROUP))) {
          if (!wanted.contains(key.getName()) && scheduler.deleteJob(key)) {
            removed.add(key.getName());
          }
        }
      }
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot update the Quartz jobs: " + e.getMessage(), e);
    }
    return new Changes(added, updated, removed);
  }

  /**
   * Whether the store already schedules exactly {@code audits} as {@link #reconcile} would write
   * them: every audit's trigger with the same definition (schedule and fingerprint), and no other
   * audit job. A node joining its peers, or restarting, then has nothing to write. Two reads,
   * whatever the number of audits; read without the reconciliation lock (nothing is written).
   */
  public boolean scheduledAlready(Collection<ScheduledAudit> audits) {
    Map<String, String> existing = QuartzTriggers.definitions(store);
    if (existing.size() != audits.size()) {
      return false;
    }
    for (ScheduledAudit audit : audits) {
      if (audit.fingerprint().isEmpty()
          || !(scheduledPart(audit) + audit.fingerprint()).equals(existing.get(audit.id()))) {
        return false;
      }
    }
    try {
      // each audit's trigger names its job, so equal counts mean no job of another audit
      return scheduler.getJobKeys(GroupMatcher.jobGroupEquals(QuartzCluster.GROUP)).size()
          == audits.size();
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot read the Quartz jobs: " + e.getMessage(), e);
    }
  }

  /** The part of a trigger's definition that is the audit's schedule, before its fingerprint. */
  private static String scheduledPart(ScheduledAudit audit) {
    return definition(audit.id(), audit.schedule()) + " checking ";
  }

  /** The daily pruning job exists once in the cluster, whoever created it. */
  public void ensureRetentionJob() {
    JobKey key = JobKey.jobKey(RetentionJob.NAME, RetentionJob.GROUP);
    try {
      if (scheduler.checkExists(key)) {
        return;
      }
      JobDetail job =
          JobBuilder.newJob(RetentionJob.class)
              .withIdentity(key)
              .withDescription("prune runs and resolved alerts past their retention")
              .storeDurably()
              .build();
      Trigger trigger =
          TriggerBuilder.newTrigger()
              .withIdentity(RetentionJob.NAME, RetentionJob.GROUP)
              .forJob(key)
              .withSchedule(
                  CronScheduleBuilder.cronSchedule(RetentionJob.CRON)
                      .inTimeZone(TimeZone.getTimeZone("UTC"))
                      .withMisfireHandlingInstructionFireAndProceed())
              .build();
      scheduler.scheduleJob(job, Set.of(trigger), true);
    } catch (ObjectAlreadyExistsException e) {
      // a peer created it at the same moment
    } catch (SchedulerException e) {
      LOG.warn("cannot schedule the retention job: {}", e.getMessage());
    }
  }

  /**
   * Cron triggers fire once after downtime, not once per missed fire time (FIRE_ONCE_NOW); fixed
   * intervals likewise fire now and continue from there. A new or changed interval schedule starts
   * at its first run ({@link FirstRun#intervalStart}). A tenant's cron trigger fires a fraction of
   * the way into each interval of its expression ({@link SpreadCronTrigger}).
   */
  private Trigger trigger(String auditId, Schedule schedule, String definition, Instant now) {
    TriggerBuilder<Trigger> builder =
        TriggerBuilder.newTrigger()
            .withIdentity(auditId, QuartzCluster.GROUP)
            .forJob(auditId, QuartzCluster.GROUP)
            .usingJobData(QuartzTriggers.DEFINITION, definition);
    if (schedule.every() != null) {
      return builder
          .startAt(
              Date.from(FirstRun.intervalStart(auditId, schedule.every(), firstRunWindow, now)))
          .withSchedule(
              SimpleScheduleBuilder.simpleSchedule()
                  .withIntervalInMilliseconds(schedule.every().toMillis())
                  .repeatForever()
                  .withMisfireHandlingInstructionNowWithExistingCount())
          .build();
    }
    if (isTenant(auditId)) {
      return builder
          .withSchedule(
              SpreadCronTrigger.schedule(
                  schedule.quartzCron(),
                  TimeZone.getTimeZone(schedule.zone()),
                  FirstRun.spreadMillionths(auditId)))
          .build();
    }
    return builder
        .withSchedule(
            CronScheduleBuilder.cronSchedule(schedule.quartzCron())
                .inTimeZone(TimeZone.getTimeZone(schedule.zone()))
                .withMisfireHandlingInstructionFireAndProceed())
        .build();
  }

  /**
   * What the trigger was built from; a tenant's cron trigger says it is spread, so that the plain
   * cron triggers written before spreading existed are replaced.
   */
  private static String definition(String auditId, Schedule schedule) {
    if (schedule.every() != null) {
      return "every " + schedule.every().toMillis() + "ms";
    }
    return schedule.quartzCron() + " " + schedule.zone() + (isTenant(auditId) ? " spread" : "");
  }

  /** An audit of one tenant of a template ({@code id@tenant}): its runs are spread. */
  private static boolean isTenant(String auditId) {
    return auditId.contains(TargetConfig.TENANT_SEPARATOR);
  }

  /**
   * Asks the cluster to run an audit now; whichever node is free picks it up.
   *
   * @return false when the audit has no job
   */
  public boolean requestRun(String auditId) throws SchedulerException {
    return AuditJob.requestRun(scheduler, auditId);
  }

  /** When the audit's schedule next fires on the cluster (the earliest of its triggers). */
  public Optional<Instant> nextFireTime(String auditId) throws SchedulerException {
    return scheduler.getTriggersOfJob(JobKey.jobKey(auditId, QuartzCluster.GROUP)).stream()
        .map(Trigger::getNextFireTime)
        .filter(Objects::nonNull)
        .map(Date::toInstant)
        .min(Instant::compareTo);
  }

  /**
   * How far this node's clock is ahead of the store's (negative: behind), as measured at its latest
   * check-in; empty before the first. The scheduler judges fire times on the store's clock ({@link
   * StoreClock}); the run history's times are still this node's.
   */
  public OptionalLong clockAheadOfStoreMillis() {
    try {
      return StoreClock.nodeAheadMillis(scheduler.getSchedulerInstanceId());
    } catch (SchedulerException e) {
      return OptionalLong.empty();
    }
  }

  /** Takes no new fires (running jobs continue). */
  public void standby() throws SchedulerException {
    scheduler.standby();
  }

  /** How many jobs this node is executing now. */
  public int executingJobs() throws SchedulerException {
    return scheduler.getCurrentlyExecutingJobs().size();
  }

  /**
   * Shuts the scheduler down waiting for its job threads (cancelled runs end within moments), but
   * never longer than {@code limit}: a thread stuck on an unreachable store must not hang the stop.
   */
  public void shutdown(Duration limit) throws InterruptedException {
    Thread stopper =
        new Thread(
            () -> {
              try {
                scheduler.shutdown(true);
              } catch (SchedulerException e) {
                LOG.warn("scheduler did not stop cleanly: {}", e.getMessage());
              }
            },
            "scheduler-stop");
    stopper.setDaemon(true);
    stopper.start();
    stopper.join(limit.toMillis());
    if (stopper.isAlive()) {
      LOG.warn("audit threads still busy {} after cancelling; stopping without them", limit);
    }
    if (misfires != null) {
      misfires.close();
    }
  }
}
