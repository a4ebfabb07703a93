package io.integrityauditor.serve;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditBinder;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.SchedulerConfig;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.run.RunError;
import io.integrityauditor.schedule.AuditJob;
import io.integrityauditor.schedule.FiredJobs;
import io.integrityauditor.schedule.QuartzBulkInsert;
import io.integrityauditor.schedule.QuartzCluster;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.schedule.RetentionJob;
import io.integrityauditor.store.Leases;
import io.integrityauditor.store.RunStore;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.store.SkipReason;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
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
 * The audits {@code serve} runs on schedule. The audit files are the source of truth: every
 * (re)load adds, changes and removes Quartz jobs to match them (any node may do it; Quartz's store
 * lock and primary keys make it safe when several do). A load with problems keeps the previous
 * valid definitions running and only reports the problems.
 */
public final class ScheduledAudits implements FiredJobs, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScheduledAudits.class);
  private static final String DEFINITION = "definition";

  private final Auditor auditor;
  private final SchedulerConfig settings;
  private final Optional<Schedule> override;
  private final Scheduler scheduler;
  private final AtomicReference<Map<String, Audit>> active = new AtomicReference<>(Map.of());
  private final AtomicReference<ReloadReport> lastReload = new AtomicReference<>();
  private final Map<String, CachedCatalog> catalogs = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "abandoned-run-sweeper");
            thread.setDaemon(true);
            return thread;
          });

  /** How often a node looks for chunks of its peers' chunked runs to help with. */
  static final Duration CHUNK_POLL = Duration.ofSeconds(1);

  private final ScheduledExecutorService chunkHelper =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "chunk-helper");
            thread.setDaemon(true);
            return thread;
          });
  private volatile boolean stopping;

  private record CachedCatalog(Catalog catalog, Instant loadedAt) {}

  private ScheduledAudits(Auditor auditor) throws SchedulerException {
    this.auditor = auditor;
    WorkerConfig config = auditor.config();
    this.settings = config.scheduler();
    this.override =
        settings.overrideSchedule().map(text -> Schedule.parse(text, java.time.ZoneOffset.UTC));
    this.scheduler =
        QuartzCluster.create(
            config.store().orElseThrow(),
            settings,
            config.nodeId(),
            settings.threads(),
            (bundle, s) ->
                bundle.getJobDetail().getJobClass() == RetentionJob.class
                    ? new RetentionJob(this)
                    : new AuditJob(this, auditor.store().orElseThrow().dataSource()));
  }

  /** Loads the audits, schedules them, and starts this node's scheduler and sweeper. */
  public static ScheduledAudits start(Auditor auditor) throws SchedulerException {
    ScheduledAudits audits = new ScheduledAudits(auditor);
    audits.reload();
    audits.scheduler.start();
    long every = audits.settings.checkinInterval().toMillis();
    audits.sweeper.scheduleWithFixedDelay(
        audits::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
    audits.chunkHelper.scheduleWithFixedDelay(
        audits::helpQuietly, CHUNK_POLL.toMillis(), CHUNK_POLL.toMillis(), TimeUnit.MILLISECONDS);
    LOG.info(
        "node {} scheduling {} audits ({} threads)",
        auditor.config().nodeId(),
        audits.active.get().size(),
        audits.settings.threads());
    return audits;
  }

  public Map<String, Audit> activeAudits() {
    return active.get();
  }

  public Optional<ReloadReport> lastReload() {
    return Optional.ofNullable(lastReload.get());
  }

  /** The schedule an audit really runs on (the override, for demos and tests). */
  public Schedule scheduleOf(Audit audit) {
    return override.orElse(audit.schedule());
  }

  /** Re-reads the audit files and the targets' catalogs and reconciles the Quartz jobs. */
  public synchronized ReloadReport reload() {
    // Quartz proxies JDBC connections through the thread's context class loader, which is null
    // on the JVM's signal-handler thread (SIGHUP): give it ours.
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(ScheduledAudits.class.getClassLoader());
    try {
      return reloadNow();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  private ReloadReport reloadNow() {
    long started = System.nanoTime();
    WorkerConfig config = auditor.config();
    List<java.nio.file.Path> files = WorkerConfigLoader.expandAuditFiles(config);
    AuditSet set = new AuditFileLoader(config.targets().keySet(), AuditKinds.ALL).load(files);
    long loaded = System.nanoTime();
    List<ConfigProblem> problems = new ArrayList<>(set.problems());
    if (files.isEmpty()) {
      problems.add(
          new ConfigProblem(
              new io.integrityauditor.config.Location(config.file().toString(), 0),
              null,
              "audits",
              "no audit file matches " + config.auditPatterns()));
    }
    Auditor.Binding binding = auditor.bind(set.audits());
    long bound = System.nanoTime();
    binding.catalogs().forEach((t, c) -> catalogs.put(t, new CachedCatalog(c, Instant.now())));
    problems.addAll(binding.problems());
    // Audits that loaded but do not bind (unknown column, ...). Invalid definitions never reach
    // set.audits(); going by id here would also drop a valid audit whose id a broken duplicate
    // in another file repeats.
    Set<String> brokenIds = new HashSet<>();
    binding.problems().forEach(p -> brokenIds.add(p.auditId()));

    Map<String, Audit> previous = active.get();
    Map<String, Audit> next = new LinkedHashMap<>();
    for (Audit audit : set.audits()) {
      if (!brokenIds.contains(audit.id())) {
        next.put(audit.id(), audit);
      }
    }
    List<String> kept = new ArrayList<>();
    if (!problems.isEmpty()) {
      for (Audit audit : previous.values()) {
        if (!next.containsKey(audit.id())) {
          next.put(audit.id(), audit);
          kept.add(audit.id());
        }
      }
    }
    ReloadReport report = reconcile(next, problems, kept);
    ensureRetentionJob();
    active.set(Map.copyOf(next));
    lastReload.set(report);
    for (ConfigProblem problem : problems) {
      LOG.error("configuration problem: {}", problem.format());
    }
    LOG.info(
        "audits loaded: {} active, {} added, {} updated, {} removed, {} kept from before, {}"
            + " (files read in {} ms, catalogs read and audits bound in {} ms, jobs"
            + " reconciled in {} ms)",
        report.active().size(),
        report.added().size(),
        report.updated().size(),
        report.removed().size(),
        report.kept().size(),
        Plural.of(problems.size(), "problem"),
        (loaded - started) / 1_000_000,
        (bound - loaded) / 1_000_000,
        (System.nanoTime() - bound) / 1_000_000);
    return report;
  }

  private ReloadReport reconcile(
      Map<String, Audit> next, List<ConfigProblem> problems, List<String> kept) {
    List<String> added = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    try {
      // One read of every audit trigger's definition and one transaction for all the changes:
      // with a thousand audits, a round trip per audit would take seconds at every start.
      Map<String, String> existing = existingDefinitions();
      Map<JobDetail, Set<? extends Trigger>> changes = new LinkedHashMap<>();
      Map<JobDetail, Trigger> fresh = new LinkedHashMap<>();
      for (Audit audit : next.values()) {
        Schedule schedule = scheduleOf(audit);
        String definition = definition(schedule);
        String current = existing.get(audit.id());
        if (definition.equals(current)) {
          continue;
        }
        JobDetail job =
            JobBuilder.newJob(AuditJob.class)
                .withIdentity(audit.id(), QuartzCluster.GROUP)
                .withDescription(audit.description().orElse(audit.kind()))
                .storeDurably()
                .requestRecovery()
                .build();
        Trigger trigger = trigger(audit.id(), schedule, definition);
        if (existing.containsKey(audit.id())) {
          changes.put(job, Set.of(trigger));
          updated.add(audit.id());
        } else {
          fresh.put(job, trigger);
          added.add(audit.id());
        }
      }
      // new jobs before the scheduler starts (a first start with many audits): batched inserts;
      // otherwise, and whenever the bulk path declines, the Quartz API
      if (!fresh.isEmpty()
          && !(!scheduler.isStarted()
              && QuartzBulkInsert.insertNew(
                  auditor.store().orElseThrow().dataSource(),
                  QuartzCluster.SCHEDULER_NAME,
                  fresh))) {
        fresh.forEach((job, trigger) -> changes.put(job, Set.of(trigger)));
      }
      if (!changes.isEmpty()) {
        // replace: a peer scheduling the same files at the same moment writes the same jobs
        scheduler.scheduleJobs(changes, true);
      }
      if (problems.isEmpty()) {
        for (JobKey key : scheduler.getJobKeys(GroupMatcher.jobGroupEquals(QuartzCluster.GROUP))) {
          if (!next.containsKey(key.getName()) && scheduler.deleteJob(key)) {
            removed.add(key.getName());
          }
        }
      }
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot update the Quartz jobs: " + e.getMessage(), e);
    }
    return new ReloadReport(
        Instant.now(), List.copyOf(next.keySet()), added, updated, removed, kept, problems);
  }

  /**
   * The definition (schedule and zone) each audit's trigger was created with, by audit id, read in
   * one query from Quartz's table: the trigger's job data, stored as properties ({@code
   * useProperties=true}).
   */
  private Map<String, String> existingDefinitions() {
    Map<String, String> definitions = new LinkedHashMap<>();
    var dsl = auditor.store().orElseThrow().dsl();
    var name = org.jooq.impl.DSL.field(org.jooq.impl.DSL.name("trigger_name"), String.class);
    var data = org.jooq.impl.DSL.field(org.jooq.impl.DSL.name("job_data"), byte[].class);
    for (var row :
        dsl.select(name, data)
            .from(
                org.jooq.impl.DSL.table(
                    org.jooq.impl.DSL.name(
                        io.integrityauditor.store.Store.SCHEMA, "qrtz_triggers")))
            .where(
                org.jooq
                    .impl
                    .DSL
                    .field(org.jooq.impl.DSL.name("sched_name"), String.class)
                    .eq(QuartzCluster.SCHEDULER_NAME))
            .and(
                org.jooq
                    .impl
                    .DSL
                    .field(org.jooq.impl.DSL.name("trigger_group"), String.class)
                    .eq(QuartzCluster.GROUP))
            .fetch()) {
      java.util.Properties properties = new java.util.Properties();
      try {
        if (row.value2() != null) {
          properties.load(new java.io.ByteArrayInputStream(row.value2()));
        }
      } catch (java.io.IOException e) {
        // unreadable: treat as changed, the trigger is rewritten
      }
      definitions.put(row.value1(), properties.getProperty(DEFINITION, ""));
    }
    return definitions;
  }

  /** The daily pruning job exists once in the cluster, whoever created it. */
  private void ensureRetentionJob() {
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

  @Override
  public void skippedOverrun(
      String auditId, Instant runFireTime, List<Instant> skipped, long notListed, Instant next) {
    long total = skipped.size() + notListed;
    LOG.warn(
        "audit {}: its run for {} took longer than its interval; skipped {} that came meanwhile,"
            + " next run at {}",
        auditId,
        runFireTime,
        Plural.of(total, "fire time"),
        next);
    Audit audit = active.get().get(auditId);
    if (audit == null) {
      return;
    }
    try {
      auditor
          .runs()
          .orElseThrow()
          .recordSkipped(
              audit,
              skipped,
              notListed,
              SkipReason.OVERRUN,
              "came while the run for " + runFireTime + " was still going; next run at " + next);
    } catch (RuntimeException e) {
      LOG.warn(
          "audit {}: cannot record {} as skipped: {}",
          auditId,
          Plural.of(total, "fire time"),
          Redactor.redact(String.valueOf(e.getMessage())));
    }
  }

  /** Deletes runs and resolved alerts past their retention (the daily maintenance job). */
  @Override
  public void pruneHistory() {
    var retention = auditor.config().retention();
    Instant now = auditor.clock().instant();
    try {
      int runs = auditor.runs().orElseThrow().pruneFinished(now.minus(retention.runs()));
      int alerts =
          new io.integrityauditor.store.AlertStore(auditor.store().orElseThrow(), auditor.clock())
              .pruneResolved(now.minus(retention.resolvedAlerts()));
      LOG.info(
          "retention: deleted {} runs older than {} and {} alerts resolved before {}",
          runs,
          retention.runs(),
          alerts,
          retention.resolvedAlerts());
    } catch (RuntimeException e) {
      LOG.warn("retention pruning failed: {}", Redactor.redact(String.valueOf(e.getMessage())));
    }
  }

  /**
   * Cron triggers fire once after downtime, not once per missed fire time (FIRE_ONCE_NOW); fixed
   * intervals likewise fire now and continue from there.
   */
  private static Trigger trigger(String auditId, Schedule schedule, String definition) {
    TriggerBuilder<Trigger> builder =
        TriggerBuilder.newTrigger()
            .withIdentity(auditId, QuartzCluster.GROUP)
            .forJob(auditId, QuartzCluster.GROUP)
            .usingJobData(DEFINITION, definition);
    if (schedule.every() != null) {
      return builder
          .startNow()
          .withSchedule(
              SimpleScheduleBuilder.simpleSchedule()
                  .withIntervalInMilliseconds(schedule.every().toMillis())
                  .repeatForever()
                  .withMisfireHandlingInstructionNowWithExistingCount())
          .build();
    }
    return builder
        .withSchedule(
            CronScheduleBuilder.cronSchedule(schedule.quartzCron())
                .inTimeZone(TimeZone.getTimeZone(schedule.zone()))
                .withMisfireHandlingInstructionFireAndProceed())
        .build();
  }

  private static String definition(Schedule schedule) {
    return schedule.every() != null
        ? "every " + schedule.every().toMillis() + "ms"
        : schedule.quartzCron() + " " + schedule.zone();
  }

  /** Called by {@link AuditJob}; never throws, so one broken audit cannot stop the others. */
  @Override
  public void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering) {
    Audit audit = active.get().get(auditId);
    if (audit == null) {
      LOG.warn(
          "audit {} fired but is not defined on node {}: do all nodes load the same audit files?",
          auditId,
          auditor.config().nodeId());
      return;
    }
    if (recovering) {
      LOG.warn("audit {}: recovering the run for {} of a node that died", auditId, fireTime);
    }
    try {
      Optional<Catalog> catalog = catalog(audit.target());
      if (catalog.isEmpty()) {
        auditor.recordFailure(
            audit,
            new RunError("connection", "cannot read the catalog of target " + audit.target()),
            trigger,
            fireTime);
        return;
      }
      AuditBinder.Result bound =
          AuditBinder.bind(
              List.of(audit), Map.of(audit.target(), catalog.get()), auditor.targets()::describer);
      if (bound.bound().isEmpty()) {
        String reason =
            bound.problems().stream().map(ConfigProblem::format).collect(Collectors.joining("; "));
        LOG.warn("audit {} cannot run: {}", auditId, reason);
        auditor.recordFailure(audit, new RunError("config", reason), trigger, fireTime);
        return;
      }
      auditor.run(bound.bound().get(0), trigger, fireTime);
    } catch (RuntimeException e) {
      LOG.error(
          "audit {} for {} failed: {}", auditId, fireTime, Redactor.redact(String.valueOf(e)), e);
    }
  }

  private Optional<Catalog> catalog(String target) {
    CachedCatalog cached = catalogs.get(target);
    if (cached != null
        && cached.loadedAt().plus(settings.catalogRefresh()).isAfter(Instant.now())) {
      return Optional.of(cached.catalog());
    }
    try {
      Catalog fresh = auditor.targets().catalog(target);
      catalogs.put(target, new CachedCatalog(fresh, Instant.now()));
      return Optional.of(fresh);
    } catch (SQLException | RuntimeException e) {
      LOG.warn("cannot read the catalog of target {}: {}", target, Redactor.redact(e.getMessage()));
      return Optional.empty();
    }
  }

  /**
   * Asks the cluster to run an audit now; whichever node is free picks it up.
   *
   * @return false when no such audit is scheduled
   */
  public boolean trigger(String auditId) throws SchedulerException {
    if (!active.get().containsKey(auditId)) {
      return false;
    }
    return AuditJob.requestRun(scheduler, auditId);
  }

  /** When the audit's schedule next fires on the cluster (the earliest of its triggers). */
  public Optional<Instant> nextFireTime(String auditId) throws SchedulerException {
    return scheduler.getTriggersOfJob(JobKey.jobKey(auditId, QuartzCluster.GROUP)).stream()
        .map(Trigger::getNextFireTime)
        .filter(java.util.Objects::nonNull)
        .map(java.util.Date::toInstant)
        .min(Instant::compareTo);
  }

  /**
   * Marks runs left 'running' by dead processes as interrupted: if nobody holds an audit's lease,
   * nobody is running it.
   */
  void sweepAbandoned() throws SQLException {
    RunStore runs = auditor.runs().orElseThrow();
    Leases leases = auditor.leases().orElseThrow();
    for (String auditId : runs.auditsWithUnfinishedRuns()) {
      if (auditor.isRunning(auditId)) {
        continue; // ours, in progress (perhaps waiting for the store to come back)
      }
      Optional<Leases.Lease> lease = leases.tryAudit(auditId);
      if (lease.isPresent()) {
        try (Leases.Lease held = lease.get()) {
          int marked =
              runs.interruptAbandoned(auditId, "the node running it stopped before it finished");
          if (marked > 0) {
            LOG.warn(
                "audit {}: marked {} as interrupted", auditId, Plural.of(marked, "abandoned run"));
          }
        }
      }
    }
  }

  /** Runs chunks of peers' chunked runs while there are any this node can run. */
  private void helpQuietly() {
    try {
      auditor.helpWithChunks(this::bindActive, () -> stopping);
    } catch (RuntimeException e) {
      LOG.warn(
          "cannot help with chunked runs: {}", Redactor.redact(String.valueOf(e.getMessage())));
    }
  }

  /** An active audit bound to its target's (cached) catalog, for running another node's chunks. */
  private Optional<io.integrityauditor.audit.BoundAudit> bindActive(String auditId) {
    Audit audit = active.get().get(auditId);
    if (audit == null) {
      return Optional.empty();
    }
    Optional<Catalog> catalog = catalog(audit.target());
    if (catalog.isEmpty()) {
      return Optional.empty();
    }
    AuditBinder.Result bound =
        AuditBinder.bind(
            List.of(audit), Map.of(audit.target(), catalog.get()), auditor.targets()::describer);
    return bound.bound().stream().findFirst();
  }

  private void sweepQuietly() {
    try {
      sweepAbandoned();
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "cannot check for abandoned runs: {}", Redactor.redact(String.valueOf(e.getMessage())));
    }
  }

  /**
   * Graceful stop: take no new runs, wait up to {@code grace} for running audits, then cancel their
   * queries on the server (they are recorded as interrupted) and stop.
   */
  public void shutdown(Duration grace) {
    try {
      scheduler.standby();
      sweeper.shutdownNow();
      stopping = true;
      chunkHelper.shutdown();
      long deadline = System.nanoTime() + grace.toNanos();
      while (!scheduler.getCurrentlyExecutingJobs().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      // a chunk of a peer's run this node is helping with gets the same grace
      chunkHelper.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      int running = scheduler.getCurrentlyExecutingJobs().size();
      if (running > 0 || !chunkHelper.isTerminated()) {
        LOG.warn("cancelling {} still running after {}", Plural.of(running, "audit"), grace);
      }
      // Cancel even when nothing seems to run: a job handed to a pool thread a moment ago is not
      // yet listed as executing, and must not begin a run that the closing pools then strand.
      auditor.cancelRunning();
      chunkHelper.shutdownNow();
      awaitJobThreads(Duration.ofSeconds(10));
    } catch (SchedulerException e) {
      LOG.warn("scheduler did not stop cleanly: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Shuts the scheduler down waiting for its job threads (cancelled runs end within moments), but
   * never longer than {@code limit}: a thread stuck on an unreachable store must not hang the stop.
   */
  private void awaitJobThreads(Duration limit) throws InterruptedException {
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
  }

  @Override
  public void close() {
    shutdown(settings.shutdownGrace());
  }
}
