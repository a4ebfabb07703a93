package io.integrityauditor.serve;

import io.integrityauditor.Plural;
import io.integrityauditor.Version;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.TargetTemplate;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.http.HttpApi;
import io.integrityauditor.http.NodeOperations;
import io.integrityauditor.http.WorkerApi;
import io.integrityauditor.metrics.WorkerMetrics;
import io.integrityauditor.run.ErrorClassifier;
import io.integrityauditor.run.RunError;
import io.integrityauditor.schedule.AuditScheduler;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.schedule.StoreTime;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.Baselines;
import io.integrityauditor.store.LatestResult;
import io.integrityauditor.store.ResultSnapshot;
import io.integrityauditor.store.RunView;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.io.IOException;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code serve} node: the store migrated, audits loaded and scheduled on the Quartz
 * cluster, metrics refreshed from the store in the background, the HTTP listener up. {@link
 * #close()} is the graceful stop.
 */
public final class Worker implements AutoCloseable, NodeOperations {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

  /** How often metrics re-read the store's latest results. */
  static final Duration METRICS_REFRESH = Duration.ofSeconds(5);

  /**
   * How soon the store is read again after a read failed: readiness answers from the latest read
   * (it never waits for the store), and turns back to ready this soon after the store does.
   */
  static final Duration STORE_DOWN_REFRESH = Duration.ofSeconds(1);

  /**
   * Longest a readiness probe waits for its own check of the store; beyond, it answers from the
   * latest read of the store, so that a probe never waits for the store's connect timeout.
   */
  static final Duration READY_STORE_WAIT = Duration.ofMillis(500);

  /** The check of the store a readiness probe started; one at a time, shared by the probes. */
  private final AtomicReference<CompletableFuture<Boolean>> storeCheck = new AtomicReference<>();

  /** How often each target is probed for {@code integrity_audit_target_up}. */
  static final Duration TARGET_PROBE = Duration.ofSeconds(15);

  private final Auditor auditor;
  private final ActiveAudits audits;
  private final CatalogCache catalogs;
  private final AuditScheduler scheduler;
  private final AuditReload reloader;
  private final BackgroundSweeps sweeps;
  private final AlertStore alerts;
  private final Baselines baselines;
  private final WorkerMetrics metrics;
  private final ScheduledExecutorService background =
      Executors.newScheduledThreadPool(
          2,
          r -> {
            Thread thread = new Thread(r, "metrics");
            thread.setDaemon(true);
            return thread;
          });
  private Optional<HttpApi> http = Optional.empty();

  /** The start, when it resumed the audits unbound ({@link AuditReload#resume}). */
  private Optional<AuditReload.Resumed> resumed = Optional.empty();

  private final CountDownLatch metricsSetUp = new CountDownLatch(1);

  /** Longest a scrape waits for the metrics' set-up (under a Prometheus scrape timeout). */
  static final Duration METRICS_SET_UP = Duration.ofSeconds(8);

  private Worker(Auditor auditor) throws SchedulerException {
    this.auditor = auditor;
    WorkerConfig config = auditor.config();
    this.audits = new ActiveAudits(config.scheduler());
    this.catalogs = new CatalogCache(auditor, config.scheduler().catalogRefresh());
    FiredRuns fired = new FiredRuns(auditor, audits, catalogs, this::undefinedAuditFired);
    this.scheduler = AuditScheduler.create(auditor.store().orElseThrow(), config, fired);
    this.reloader = new AuditReload(auditor, audits, catalogs, scheduler);
    this.sweeps = new BackgroundSweeps(auditor, audits, catalogs);
    this.alerts = new AlertStore(auditor.store().orElseThrow(), auditor.clock());
    this.baselines = new Baselines(auditor.store().orElseThrow(), auditor.clock());
    this.metrics =
        new WorkerMetrics(
            auditor.store().orElseThrow(),
            alerts,
            Version.current(),
            auditor.config().targets().keySet());
    auditor
        .config()
        .http()
        .links()
        .externalUrl()
        .ifPresent(url -> metrics.pagesAt(url.toString().replaceAll("/+$", "")));
    metrics.schedulerClock(
        scheduler::clockAheadOfStoreMillis, config.scheduler().misfireThreshold());
  }

  /** Checks what {@code serve} needs beyond a loadable configuration. */
  static void requireServable(WorkerConfig config) {
    List<ConfigProblem> problems = new ArrayList<>();
    Location file = Location.of(config.file(), 0);
    if (config.store().isEmpty()) {
      problems.add(
          new ConfigProblem(
              file,
              null,
              "store",
              "serve needs a store (the worker's own database for run history, alerts and the"
                  + " Quartz cluster): add a store: section"));
    }
    if (config.http().enabled() && !config.http().readOnly() && config.http().token().isEmpty()) {
      problems.add(
          new ConfigProblem(
              WorkerConfigLoader.topLevelKeyLocation(config.file(), "http"),
              null,
              "http",
              "the HTTP API (on by default) can trigger audits, reload and acknowledge alerts, so"
                  + " it needs a token: set http.token_env or http.token_file, or http.read_only: true to"
                  + " serve only metrics and reads"));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  public static Worker start(WorkerConfig config, Clock clock)
      throws SchedulerException, IOException {
    requireServable(config);
    StartPhases phases = StartPhases.sinceJvmStart();
    // The listener starts (answering 503 until the routes open) while the store opens: on two
    // cores that takes the server's start-up off the way to readiness.
    Optional<CompletableFuture<HttpApi>> listener =
        config.http().enabled()
            ? Optional.of(listenWhileStarting(new HttpApi(config.http())))
            : Optional.empty();
    // so are the audit files read and parsed, which needs neither the store nor a target (unless
    // a template's tenants must be listed first: then they are read once the targets are open)
    boolean fleets = config.targets().values().stream().anyMatch(t -> t.template().isPresent());
    CompletableFuture<AuditReload.FilesRead> files =
        fleets
            ? null
            : CompletableFuture.supplyAsync(
                () ->
                    AuditReload.readFiles(
                        config, new AuditFileLoader(config.targets().keySet(), AuditKinds.ALL)));
    Auditor auditor;
    Worker worker;
    while (true) {
      try {
        // what the node records and shows is on the store's clock (docs/operations.md#clocks)
        auditor = Auditor.openWaitingForStore(config, StoreTime.of(clock, config.nodeId()));
        phases.done("store opened");
      } catch (RuntimeException e) {
        listener.ifPresent(Worker::closeWhenStarted);
        throw e;
      }
      worker = null;
      try {
        // before any audit is scheduled: a port in use fails the start here
        Optional<HttpApi> http =
            listener.isPresent() ? Optional.of(started(listener.get())) : Optional.empty();
        worker = new Worker(auditor);
        worker.http = http;
        phases.done("scheduler joined the cluster");
        AuditReload.FilesRead read;
        if (files == null) {
          AuditFileLoader loader = auditor.auditLoader();
          phases.done("tenants listed");
          read = AuditReload.readFiles(config, loader);
        } else {
          read = joined(files);
        }
        phases.done("audit files read");
        worker.startScheduling(read, phases);
        break;
      } catch (SchedulerException | IOException | RuntimeException e) {
        // The store went away after it opened (restarted, failed over): wait for it again, as a
        // node started before its store does, and start over instead of exiting.
        boolean storeAway = Auditor.isStoreOutage(e) && !Thread.currentThread().isInterrupted();
        if (worker != null) {
          worker.stopScheduling(Duration.ZERO);
        }
        auditor.close();
        if (!storeAway) {
          listener.ifPresent(Worker::closeWhenStarted);
          throw e;
        }
        LOG.warn(
            "the store went away during start-up ({}); waiting for it, then starting again",
            Redactor.redact(String.valueOf(Auditor.rootMessage(e))));
      }
    }
    try {
      worker.startBackground();
      if (worker.http.isPresent()) {
        new WorkerApi(worker).routes(worker.http.get()).open();
      }
      phases.done("HTTP routes opened");
    } catch (RuntimeException e) {
      worker.close();
      throw e;
    }
    LOG.info("node {} started {}", config.nodeId(), phases);
    worker.resumed.ifPresent(worker::bindAfterStart);
    return worker;
  }

  /** Whether this node's start resumed audits already scheduled, binding them after ready. */
  boolean resumedUnbound() {
    return resumed.isPresent();
  }

  /** The start that resumed the audits unbound, if it did. */
  Optional<AuditReload.Resumed> resumedStart() {
    return resumed;
  }

  AuditReload reloader() {
    return reloader;
  }

  /**
   * Binds audits resumed at start to their targets' catalogs, as a reload of the files read then
   * (unless a reload came first): the catalogs are cached for the runs and a member that does not
   * bind is reported, as by any reload. Meanwhile, as always, every run binds its own audit when it
   * fires (one that does not bind is recorded as a {@code config} failure, never run).
   */
  private void bindAfterStart(AuditReload.Resumed start) {
    Thread thread =
        new Thread(
            () -> {
              try {
                awaitMetricsSetUp();
                reloader.bindResumed(start).ifPresent(this::reloaded);
              } catch (RuntimeException e) {
                LOG.warn(
                    "cannot bind the audits after start: {}; the next reload does",
                    Redactor.redact(String.valueOf(e)));
              }
            },
            "bind-after-start");
    thread.setDaemon(true);
    thread.start();
  }

  private static CompletableFuture<HttpApi> listenWhileStarting(HttpApi api) {
    CompletableFuture<HttpApi> started = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                started.complete(api.listen());
              } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
              }
            },
            "http-start");
    thread.setDaemon(true);
    thread.start();
    return started;
  }

  /** The started listener, or the reason it could not start. */
  private static HttpApi started(CompletableFuture<HttpApi> listener) throws IOException {
    try {
      return listener.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
    }
  }

  /** The result of work done in parallel, or its own exception. */
  private static <T> T joined(CompletableFuture<T> work) {
    try {
      return work.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
    }
  }

  private static void closeWhenStarted(CompletableFuture<HttpApi> listener) {
    try {
      listener.join().close();
    } catch (CompletionException e) {
      // it did not start: nothing to close
    }
  }

  /**
   * Loads the audits, schedules them, and starts this node's scheduler and sweeps. When the store
   * already schedules exactly the audits of the files (a node joining its peers, or restarting),
   * they are bound to their catalogs after the node is ready ({@link #bindAfterStart}).
   */
  private void startScheduling(AuditReload.FilesRead files, StartPhases phases)
      throws SchedulerException {
    resumed = reloader.resume(files);
    if (resumed.isPresent()) {
      phases.done("audits found scheduled");
    } else {
      reloader.reload(files);
      phases.done("audits loaded and jobs reconciled");
    }
    scheduler.start();
    sweeps.start(auditor.config().scheduler().checkinInterval());
    phases.done("scheduler started");
    LOG.info(
        "node {} scheduling {} audits ({} threads)",
        auditor.config().nodeId(),
        audits.activeAudits().size(),
        auditor.config().scheduler().threads());
  }

  /**
   * The per-audit series are registered and the store's results read in the background: readiness
   * means audits loaded and scheduled, and registering some twenty series for each of a thousand
   * audits took a fifth of a node's start. Whatever reads metrics waits for it ({@link #metrics()},
   * {@link #scrapeMetrics()}), so no scrape ever sees part of the series.
   */
  private void startBackground() {
    background.execute(
        () -> {
          try {
            audits.lastReload().ifPresent(this::reloaded);
            metrics.refresh(false);
          } catch (RuntimeException e) {
            LOG.warn("cannot set up the metrics: {}", Redactor.redact(String.valueOf(e)));
          } finally {
            metricsSetUp.countDown();
          }
          refreshMetricsLater(METRICS_REFRESH);
          background.scheduleWithFixedDelay(
              this::probeTargets, 0, TARGET_PROBE.toMillis(), TimeUnit.MILLISECONDS);
          discoverEvery()
              .ifPresent(
                  every ->
                      background.scheduleWithFixedDelay(
                          this::rediscoverTenants,
                          every.toMillis(),
                          every.toMillis(),
                          TimeUnit.MILLISECONDS));
        });
  }

  /** The store's latest results read again after {@code delay}, and so on. */
  private void refreshMetricsLater(Duration delay) {
    try {
      background.schedule(
          () -> {
            try {
              metrics.refresh();
            } finally {
              refreshMetricsLater(
                  metrics.storeUp().orElse(false) ? METRICS_REFRESH : STORE_DOWN_REFRESH);
            }
          },
          delay.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopping) {
      // the node is stopping
    }
  }

  /** The shortest {@code discover_every} of the templates (none without a template). */
  private Optional<Duration> discoverEvery() {
    return auditor.config().targets().values().stream()
        .flatMap(t -> t.template().stream())
        .map(TargetTemplate::discoverEvery)
        .min(Comparator.naturalOrder());
  }

  /**
   * Lists the templates' tenants again; when a tenant came or went, reloads: a new tenant's audits
   * are scheduled, a dropped tenant's are removed (its runs and alerts stay in the history).
   */
  void rediscoverTenants() {
    try {
      Map<String, List<String>> before = auditor.lastDiscovery().tenants();
      Map<String, List<String>> now = auditor.targets().discover().tenants();
      if (!now.equals(before)) {
        LOG.info("the templates' tenants changed; reloading the audits");
        reload();
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot list the templates' tenants: {}", Redactor.redact(String.valueOf(e)));
    }
  }

  /** Waits for the metrics' set-up after start ({@link #startBackground()}). */
  private void awaitMetricsSetUp() {
    try {
      if (!metricsSetUp.await(METRICS_SET_UP.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("the metrics were not set up within {}", METRICS_SET_UP);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Probes every target now for {@code integrity_audit_target_up} (also runs every 15 s). */
  public void probeTargets() {
    awaitMetricsSetUp();
    for (String target : auditor.config().targets().keySet()) {
      Optional<String> failure;
      try (Connection connection = auditor.targets().dataSource(target).getConnection()) {
        failure = connection.isValid(5) ? Optional.empty() : Optional.of("connection");
      } catch (Exception e) {
        RunError error = ErrorClassifier.targetFailure(e);
        failure = Optional.of(error.errorClass());
        LOG.debug("target {} is down: [{}] {}", target, error.errorClass(), error.message());
      }
      metrics.targetProbed(target, failure);
    }
    metrics.publish();
  }

  /** Re-reads the audit files (SIGHUP, HTTP) and updates schedules and metric series. */
  @Override
  public ReloadReport reload() {
    // the set-up registers the series of the first load; this one's come after them
    awaitMetricsSetUp();
    ReloadReport report = reloader.reload();
    reloaded(report);
    return report;
  }

  /** A job fired for an audit this node does not define (metrics is set before any job fires). */
  private void undefinedAuditFired() {
    metrics.undefinedAuditFired();
  }

  private void reloaded(ReloadReport report) {
    metrics.reloaded(report.problems().size());
    metrics.auditsChanged(audits.activeAudits().values(), audits::scheduleOf);
    metrics.auditFiles(
        AuditReload.fingerprintOfAll(audits.activeAudits().values(), audits::scheduleOf));
  }

  @Override
  public boolean storeUpWithoutWaiting() {
    CompletableFuture<Boolean> check = storeCheck.get();
    while (check == null || check.isDone()) {
      CompletableFuture<Boolean> fresh = new CompletableFuture<>();
      if (storeCheck.compareAndSet(check, fresh)) {
        Thread thread = new Thread(() -> fresh.complete(storeReachable()), "store-check");
        thread.setDaemon(true);
        thread.start();
      }
      check = storeCheck.get();
    }
    try {
      return check.get(READY_STORE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // the store does not answer at once (down, or slow): the latest read of it says
      return metrics.storeUp().orElse(false);
    } catch (ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean storeReachable() {
    try (Connection connection = auditor.store().orElseThrow().dataSource().getConnection()) {
      return connection.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }

  public ActiveAudits audits() {
    return audits;
  }

  public Auditor auditor() {
    return auditor;
  }

  @Override
  public AlertStore alerts() {
    return alerts;
  }

  @Override
  public Baselines baselines() {
    return baselines;
  }

  public WorkerMetrics metrics() {
    awaitMetricsSetUp();
    return metrics;
  }

  @Override
  public List<Audit> activeAudits() {
    return List.copyOf(audits.activeAudits().values());
  }

  @Override
  public byte[] scrapeMetrics() {
    awaitMetricsSetUp();
    return metrics.scrapeRedactedBytes();
  }

  @Override
  public boolean auditsLoaded() {
    return audits.lastReload().isPresent();
  }

  @Override
  public Schedule scheduleOf(Audit audit) {
    return audits.scheduleOf(audit);
  }

  @Override
  public List<RunView> runHistory(String auditId, int limit) {
    return auditor.runs().orElseThrow().history(auditId, limit);
  }

  @Override
  public boolean trigger(String auditId) throws SchedulerException {
    return audits.activeAudits().containsKey(auditId) && scheduler.requestRun(auditId);
  }

  @Override
  public Clock clock() {
    return auditor.clock();
  }

  @Override
  public Map<String, LatestResult> latestResults() {
    return ResultSnapshot.read(auditor.store().orElseThrow(), alerts, Map.of()).latest();
  }

  @Override
  public Optional<Instant> nextFireTime(String auditId) throws SchedulerException {
    return scheduler.nextFireTime(auditId);
  }

  @Override
  public AuditSql auditSql(String auditId) {
    Audit audit = audits.activeAudits().get(auditId);
    if (audit == null) {
      return new AuditSql(List.of(), Optional.of("no active audit with id " + auditId));
    }
    Auditor.Binding binding = auditor.bind(List.of(audit));
    if (!binding.problems().isEmpty()) {
      return new AuditSql(
          List.of(), Optional.of(Redactor.redact(binding.problems().get(0).format())));
    }
    if (binding.unavailable().containsKey(auditId)) {
      return new AuditSql(
          List.of(), Optional.of(Redactor.redact(binding.unavailable().get(auditId).message())));
    }
    // rendering may read the target's statistics (the query shape depends on them): through the
    // one read-only door to audited databases
    try (Connection connection = auditor.targets().dataSource(audit.target()).getConnection()) {
      return new AuditSql(
          ReadOnlyTransaction.run(
              connection,
              ReadOnlyTransaction.Limits.brief(Duration.ofSeconds(5)),
              context -> binding.bound().get(0).query().sql(context)),
          Optional.empty());
    } catch (Exception e) {
      return new AuditSql(
          List.of(),
          Optional.of(
              "cannot reach target " + audit.target() + ": " + Redactor.redact(e.getMessage())));
    }
  }

  /** The HTTP port (useful when configured as 0). */
  public Optional<Integer> httpPort() {
    return http.map(HttpApi::port);
  }

  /** Graceful stop: no new runs, wait for running ones up to the grace period, then cancel. */
  @Override
  public void close() {
    LOG.info("stopping node {}", auditor.config().nodeId());
    http.ifPresent(HttpApi::close);
    background.shutdownNow();
    stopScheduling(auditor.config().scheduler().shutdownGrace());
    auditor.close();
    LOG.info("node {} stopped", auditor.config().nodeId());
  }

  /**
   * Graceful stop of the scheduled work: take no new runs, wait up to {@code grace} for running
   * audits, then cancel their queries on the server (they are recorded as interrupted) and stop.
   */
  private void stopScheduling(Duration grace) {
    try {
      scheduler.standby();
      sweeps.stop();
      long deadline = System.nanoTime() + grace.toNanos();
      while (scheduler.executingJobs() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      // a chunk of a peer's run this node is helping with gets the same grace
      boolean chunkDone = sweeps.awaitChunk(Duration.ofNanos(deadline - System.nanoTime()));
      int running = scheduler.executingJobs();
      if (running > 0 || !chunkDone) {
        LOG.warn("cancelling {} still running after {}", Plural.of(running, "audit"), grace);
      }
      // Cancel even when nothing seems to run: a job handed to a pool thread a moment ago is not
      // yet listed as executing, and must not begin a run that the closing pools then strand.
      auditor.cancelRunning();
      sweeps.stopNow();
      scheduler.shutdown(Duration.ofSeconds(10));
    } catch (SchedulerException e) {
      LOG.warn("scheduler did not stop cleanly: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
