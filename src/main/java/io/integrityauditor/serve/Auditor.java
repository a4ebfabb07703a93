package io.integrityauditor.serve;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditBinder;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Durations;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.run.Attempts;
import io.integrityauditor.run.AuditExecutor;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.Cancellation;
import io.integrityauditor.run.ChunkedRun;
import io.integrityauditor.run.ErrorClassifier;
import io.integrityauditor.run.OrphanedQueries;
import io.integrityauditor.run.RunError;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.run.RunSupport;
import io.integrityauditor.store.ChunkStore;
import io.integrityauditor.store.ClusterBudget;
import io.integrityauditor.store.Leases;
import io.integrityauditor.store.RunStore;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.store.SkipReason;
import io.integrityauditor.store.Store;
import io.integrityauditor.store.StoreException;
import io.integrityauditor.targets.ReadOnlyTransaction;
import io.integrityauditor.targets.SharedBudget;
import io.integrityauditor.targets.Targets;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data path in one place: configuration and audit files in, catalogs read, audits bound, runs
 * executed read-only and written to the store. {@code check}, {@code serve} (through its Quartz
 * jobs) and {@code demo} all run audits through here.
 */
public final class Auditor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Auditor.class);

  /** Catalog reads at once at most, whatever the budgets (each holds a thread). */
  private static final int MAX_CATALOG_READERS = 32;

  private final WorkerConfig config;
  private final Clock clock;
  private final Targets targets;
  private final Optional<Store> store;
  private final Optional<RunStore> runs;
  private final Optional<Leases> leases;
  private final Cancellation cancellation = new Cancellation();
  private volatile Targets.Discovery lastDiscovery = new Targets.Discovery(Map.of(), Map.of());

  /** Audits this process is running now: its own sweeper must leave their runs alone. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  private final Attempts attempts;
  private final AuditExecutor executor;
  private final Optional<ChunkStore> chunks;

  private Auditor(WorkerConfig config, Clock clock, Optional<Store> store) {
    this.config = config;
    this.clock = clock;
    // with a store, the budgets hold across every node sharing it (and a check next to them)
    this.targets =
        new Targets(
            config.targets(),
            config.connectionBudget(),
            config.store().<SharedBudget>map(ClusterBudget::new).orElse(SharedBudget.PROCESS_ONLY));
    this.store = store;
    this.runs = store.map(s -> new RunStore(s, config.nodeId(), clock));
    this.leases = config.store().map(Leases::new);
    this.attempts = new Attempts(clock, cancellation, config.retry());
    this.executor = new AuditExecutor(attempts);
    this.chunks = store.map(s -> new ChunkStore(s, config.nodeId(), clock));
  }

  /** Opens the store (migrating it) when one is configured. */
  public static Auditor open(WorkerConfig config, Clock clock) {
    Optional<Store> store = config.store().map(Store::open);
    try {
      store.ifPresent(Store::migrate);
    } catch (RuntimeException e) {
      store.ifPresent(Store::close);
      throw e;
    }
    return new Auditor(config, clock, store);
  }

  /**
   * {@link #open}, waiting while the store cannot be reached (still starting, failing over, slower
   * to accept a connection than {@code connect_timeout}): a node started before its store, or on a
   * machine too loaded to connect in time, waits for it, saying so, instead of exiting. Other
   * failures (a wrong password, a failed migration) end the start at once.
   */
  public static Auditor openWaitingForStore(WorkerConfig config, Clock clock) {
    Duration pause = Duration.ofSeconds(1);
    while (true) {
      try {
        return open(config, clock);
      } catch (StoreException e) {
        if (!isStoreOutage(e)) {
          throw e;
        }
        LOG.warn(
            "waiting for the store at {} ({}); trying again in {} s",
            config.store().orElseThrow().safeUrl(),
            Redactor.redact(
                String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause().getMessage())),
            pause.toSeconds());
        try {
          Thread.sleep(pause.toMillis());
        } catch (InterruptedException interrupted) {
          LOG.info("stopped while waiting for the store");
          Thread.currentThread().interrupt();
          throw e;
        }
        pause = longer(pause);
      }
    }
  }

  /** The next pause of a retry: doubled, at most 30 s. */
  private static Duration longer(Duration pause) {
    return pause.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0
        ? Duration.ofSeconds(30)
        : pause.multipliedBy(2);
  }

  public WorkerConfig config() {
    return config;
  }

  public Optional<Store> store() {
    return store;
  }

  public Optional<RunStore> runs() {
    return runs;
  }

  public Targets targets() {
    return targets;
  }

  public Clock clock() {
    return clock;
  }

  public AuditSet loadAudits() {
    return auditLoader().load(config.auditFiles());
  }

  /**
   * A loader of the audit files for the configured targets and the tenants of every template,
   * listed again now; a template whose tenants cannot be listed keeps those found before.
   */
  public AuditFileLoader auditLoader() {
    Targets.Discovery discovery = targets.discover();
    discovery
        .failures()
        .forEach(
            (template, message) ->
                LOG.warn("cannot list the tenants of template {}: {}", template, message));
    lastDiscovery = discovery;
    return new AuditFileLoader(config.targets().keySet(), AuditKinds.ALL, discovery.tenants());
  }

  /** The tenants found by the last {@link #auditLoader}, and the templates that failed. */
  public Targets.Discovery lastDiscovery() {
    return lastDiscovery;
  }

  /**
   * Reads the catalog of every target that {@code audits} use and binds them.
   *
   * @return bound audits, validation problems, and audits whose target could not be read
   */
  public Binding bind(List<Audit> audits) {
    Map<String, Catalog> catalogs = new LinkedHashMap<>();
    Map<String, RunError> unreachable = new LinkedHashMap<>();
    long reading = System.nanoTime();
    readCatalogs(audits.stream().flatMap(a -> a.targets().stream()).distinct().toList())
        .forEach(
            (target, read) -> {
              if (read.catalog() != null) {
                catalogs.put(target, read.catalog());
                return;
              }
              RunError error = read.error();
              LOG.warn(
                  "cannot read the catalog of target {}: [{}] {}",
                  target,
                  error.errorClass(),
                  error.message());
              unreachable.put(
                  target,
                  new RunError(error.errorClass(), "target " + target + ": " + error.message()));
            });
    Duration catalogsRead = Duration.ofNanos(System.nanoTime() - reading);
    AuditBinder.Result result = AuditBinder.bind(audits, catalogs, targets::describer);
    Map<String, RunError> unavailable = new LinkedHashMap<>();
    for (Audit audit : audits) {
      // a reference across databases cannot run when either side's target is unreachable
      audit.targets().stream()
          .map(unreachable::get)
          .filter(Objects::nonNull)
          .findFirst()
          .ifPresent(error -> unavailable.put(audit.id(), error));
    }
    return new Binding(
        result.bound(),
        result.problems(),
        unavailable,
        catalogs,
        catalogsRead,
        result.unreadable());
  }

  /** A target's catalog, or why it could not be read. */
  private record CatalogRead(Catalog catalog, RunError error) {}

  /**
   * Reads the targets' catalogs in parallel: as many at once as the servers' connection budgets
   * allow (a target waits only for a place in its own server's budget, never for another target's
   * failure), in the order given. One read serves every target with the same {@linkplain
   * Targets#catalogSource source}: the members of a schema-per-tenant template share their
   * database's.
   */
  private Map<String, CatalogRead> readCatalogs(List<String> names) {
    Map<String, CatalogRead> reads = new LinkedHashMap<>();
    if (names.isEmpty()) {
      return reads;
    }
    Set<String> sources = new LinkedHashSet<>();
    names.forEach(name -> sources.add(targets.catalogSource(name)));
    int threads =
        Math.min(sources.size(), Math.min(MAX_CATALOG_READERS, targets.connectionsAllowed()));
    ExecutorService readers =
        Executors.newFixedThreadPool(
            threads,
            runnable -> {
              Thread thread = new Thread(runnable, "catalog-reader");
              thread.setDaemon(true);
              return thread;
            });
    try {
      Map<String, Future<CatalogRead>> pending = new LinkedHashMap<>();
      for (String source : sources) {
        pending.put(
            source,
            readers.submit(
                () -> {
                  try {
                    return new CatalogRead(targets.catalog(source), null);
                  } catch (SQLException | RuntimeException e) {
                    return new CatalogRead(null, ErrorClassifier.targetFailure(e));
                  }
                }));
      }
      Map<String, CatalogRead> bySource = new LinkedHashMap<>();
      for (Map.Entry<String, Future<CatalogRead>> entry : pending.entrySet()) {
        bySource.put(entry.getKey(), entry.getValue().get());
      }
      for (String name : names) {
        CatalogRead read = bySource.get(targets.catalogSource(name));
        reads.put(
            name,
            read.catalog() == null
                ? read
                : new CatalogRead(targets.catalogView(name, read.catalog()), null));
      }
      return reads;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the targets' catalogs", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      readers.shutdownNow();
    }
  }

  /**
   * Audits bound to their catalogs.
   *
   * @param unavailable audits whose target could not be read, with the reason
   * @param catalogsRead how long reading the catalogs took (the rest of a bind is binding)
   * @param unreadable ids of the audits that read a table their target's role cannot read (every
   *     run of them fails: {@code validate} says so)
   */
  public record Binding(
      List<BoundAudit> bound,
      List<ConfigProblem> problems,
      Map<String, RunError> unavailable,
      Map<String, Catalog> catalogs,
      Duration catalogsRead,
      Set<String> unreadable) {
    public Binding {
      bound = List.copyOf(bound);
      problems = List.copyOf(problems);
      unavailable = Map.copyOf(unavailable);
      catalogs = Map.copyOf(catalogs);
      unreadable = Set.copyOf(unreadable);
    }
  }

  /**
   * Runs one audit now and records it. With a store, the run holds the audit's lease (no two runs
   * of one audit at once, cluster-wide) and a slot of its target (at most {@code
   * max_concurrent_audits} per database); a run left unfinished by a dead process is marked
   * interrupted first.
   *
   * @return empty when this audit and fire time already has a result, or (for scheduled runs) when
   *     another live node is running the audit: nothing was run
   */
  public Optional<AuditResult> run(BoundAudit bound, RunTrigger trigger, Instant fireTime) {
    return run(bound, trigger, fireTime, false);
  }

  /**
   * {@link #run(BoundAudit, RunTrigger, Instant)}, for a fire time Quartz may be recovering from a
   * node that died or was declared dead.
   *
   * @param recovering the fire time is a recovered one (its node died or was declared dead): when
   *     another session holds the lease, the run waits for it ({@link #recoveryLeaseWait}) and then
   *     runs the fire time unless it has a result by then. The holder may be running that very fire
   *     time (the "dead" node was only frozen, or outlived a store outage; or a second recovery),
   *     or another one; dropping the fire time instead lost it for good when the holder was killed
   *     before it finished, and recording it as skipped at once could take it from a recovery that
   *     had the lease but had not begun its run.
   */
  public Optional<AuditResult> run(
      BoundAudit bound, RunTrigger trigger, Instant fireTime, boolean recovering) {
    Audit audit = bound.audit();
    if (runs.isEmpty()) {
      return Optional.of(execute(bound, OptionalLong.empty()));
    }
    Optional<Leases.Lease> lease;
    try {
      lease =
          recovering
              ? awaitLeaseForRecovery(audit, fireTime)
              : leases.orElseThrow().tryAudit(audit.id());
    } catch (SQLException e) {
      throw new StoreException("cannot take the lease of audit " + audit.id(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the lease of " + audit.id(), e);
    }
    if (lease.isEmpty()) {
      LOG.info("audit {} is running elsewhere; not running it for {}", audit.id(), fireTime);
      if (trigger == RunTrigger.SCHEDULE && !cancellation.isCancelled()) {
        recordLeaseHeld(
            audit,
            fireTime,
            recovering
                ? "another node held the audit's lease for longer than "
                    + Durations.format(recoveryLeaseWait(audit))
                    + " while this fire time was being recovered from a node that stopped"
                : "another node was running the audit (it held the audit's lease)");
      }
      return trigger == RunTrigger.CHECK
          ? Optional.of(
              AuditResult.failed(
                  audit,
                  RunStatus.ERROR,
                  new RunError("busy", "the audit is running on another node right now"),
                  clock.instant(),
                  Duration.ZERO))
          : Optional.empty();
    }
    inFlight.add(audit.id());
    try (Leases.Lease held = lease.get()) {
      if (cancellation.isCancelled()) {
        // a job that fired just as the node began stopping: start nothing the shutdown would then
        // have to cut short; the fire time stays unrecorded and a live node runs the audit next
        LOG.info("audit {} not started for {}: this node is stopping", audit.id(), fireTime);
        return Optional.empty();
      }
      // the look for runs a stopped node left and the run's row: one round trip (nearly always)
      RunStore.Started started =
          runs.get()
              .start(
                  audit,
                  trigger,
                  fireTime,
                  "the node running it stopped before it finished",
                  queriesOutliveTheirNode(audit));
      RunStore.Abandoned abandoned = started.abandoned();
      if (abandoned.marked() > 0) {
        LOG.warn(
            "audit {}: marked {} as interrupted",
            audit.id(),
            Plural.of(abandoned.marked(), "abandoned run"));
      }
      if (abandoned.mayHaveLeftQueries()) {
        endOrphanedQueries(audit);
      }
      Optional<Long> runId = started.runId();
      if (runId.isEmpty()) {
        LOG.info("audit {} already has a result for {}; skipping", audit.id(), fireTime);
        return Optional.empty();
      }
      AuditResult result =
          slots(held, audit)
              ? execute(bound, OptionalLong.of(runId.get()))
              : attempts.interrupted(audit, clock.instant());
      return Optional.of(finishDurably(runId.get(), result));
    } catch (SQLException e) {
      throw new StoreException("lost the store while running audit " + audit.id(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for a slot of " + audit.target(), e);
    } finally {
      inFlight.remove(audit.id());
    }
  }

  /**
   * A scheduled fire time not run because another node held the audit's lease is recorded as
   * skipped and counted, like an overrun: otherwise it would look lost. A fire time that already
   * has a row (the holder's own run of it) is left alone and not counted.
   *
   * @param why the reason recorded with it
   */
  private void recordLeaseHeld(Audit audit, Instant fireTime, String why) {
    try {
      runs.orElseThrow().recordSkipped(audit, List.of(fireTime), 0, SkipReason.LEASE_HELD, why);
    } catch (RuntimeException e) {
      LOG.warn(
          "audit {}: cannot record {} as skipped: {}",
          audit.id(),
          fireTime,
          Redactor.redact(String.valueOf(e.getMessage())));
    }
  }

  /**
   * How long a recovered fire time waits for the audit's lease: the longest the audit may run (its
   * timeout, for each attempt) plus one misfire threshold. A holder running it legitimately is done
   * by then; after it the fire time counts as missed, and is recorded as skipped.
   */
  Duration recoveryLeaseWait(Audit audit) {
    return audit
        .timeout()
        .multipliedBy(Math.max(1, config.retry().attempts()))
        .plus(config.scheduler().misfireThreshold());
  }

  /**
   * How long a query of the audit may go on after its node lost the lease: every attempt to its
   * timeout (the server ends each statement then), the pauses between them, the client's grace, and
   * a misfire threshold for the clocks of the nodes. A run marked interrupted longer ago left no
   * query of it running on the target, so the target is not searched for one before every run.
   */
  Duration queriesOutliveTheirNode(Audit audit) {
    Duration pauses = Duration.ZERO;
    for (int next = 2; next <= config.retry().attempts(); next++) {
      pauses = pauses.plus(config.retry().backoffBefore(next));
    }
    return recoveryLeaseWait(audit).plus(pauses).plus(ReadOnlyTransaction.CLIENT_GRACE);
  }

  /**
   * The lease for a recovered fire time, waiting for it while another session holds it: logged when
   * it had to wait, with how long, since the fire time then runs that much late.
   */
  private Optional<Leases.Lease> awaitLeaseForRecovery(Audit audit, Instant fireTime)
      throws SQLException, InterruptedException {
    Optional<Leases.Lease> lease = leases.orElseThrow().tryAudit(audit.id());
    if (lease.isPresent()) {
      return lease;
    }
    Duration wait = recoveryLeaseWait(audit);
    LOG.info(
        "audit {}: recovering the fire time {} of a node that stopped; another node holds the"
            + " audit's lease, waiting for it (at most {})",
        audit.id(),
        fireTime,
        Durations.format(wait));
    long started = System.nanoTime();
    lease = leases.orElseThrow().awaitAudit(audit.id(), wait, cancellation::isCancelled);
    if (lease.isPresent()) {
      LOG.info(
          "audit {}: took the lease for the recovered fire time {} after waiting {} ms",
          audit.id(),
          fireTime,
          (System.nanoTime() - started) / 1_000_000);
    }
    return lease;
  }

  /**
   * Takes a slot of each target the audit reads (both of a reference across databases), in name
   * order, so that two audits across the same two targets never each hold one and wait for the
   * other's; held until the lease closes.
   *
   * @return false when the node began stopping before every slot was free
   */
  private boolean slots(Leases.Lease held, Audit audit) throws SQLException, InterruptedException {
    for (String target : audit.targets().stream().sorted().toList()) {
      int slots = slotsOf(target);
      if (!held.acquireSlot(target, slots, cancellation::isCancelled)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Records a result even if the store is briefly unavailable (restart, failover): the write is
   * retried with backoff until it succeeds, so a result measured during an outage is not lost. Only
   * a shutdown during the outage gives up (the run then stays 'running' and is marked interrupted
   * later, never clean).
   *
   * @return the result as recorded, with what the store knows of its violating keys
   */
  private AuditResult finishDurably(long runId, AuditResult result) {
    Duration pause = Duration.ofSeconds(1);
    while (true) {
      try {
        return runs.orElseThrow().finish(runId, result);
      } catch (StoreException e) {
        if (!isStoreOutage(e)) {
          throw e; // a real conflict or bug, not the store being away: retrying cannot help
        }
        if (cancellation.isCancelled()) {
          LOG.error(
              "run {} of {}: the store is unavailable during shutdown; result not recorded",
              runId,
              result.audit().id());
          throw e;
        }
        LOG.warn(
            "cannot record run {} of {} yet ({}); retrying in {} s",
            runId,
            result.audit().id(),
            Redactor.redact(
                String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause().getMessage())),
            pause.toSeconds());
        cancellation.pause(pause);
        pause = longer(pause);
      }
    }
  }

  /**
   * The store is unreachable (no connection, connection lost), as opposed to refusing a write: a
   * lost or refused connection anywhere in the causes of a failure of the store's work (ours or
   * Quartz's).
   */
  static boolean isStoreOutage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        return state.startsWith("08") || state.startsWith("57P");
      }
    }
    return false;
  }

  /** The message of the innermost cause: what actually failed. */
  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage();
  }

  private AuditResult execute(BoundAudit bound, OptionalLong runId) {
    return executor.execute(
        bound, targets::dataSource, runId, chunks.<RunSupport>map(c -> c).orElse(RunSupport.NONE));
  }

  /**
   * Runs chunks of other nodes' chunked runs (the cluster shares their work): for each open plan of
   * an audit this node knows with the same definition, while a slot of its target is free. A chunk
   * this node dies in the middle of is claimed again by a peer.
   *
   * @param bind binds an audit this node schedules, by id (empty when it does not know it)
   * @param stop says when to stop taking chunks (the node is stopping)
   * @return how many runs it helped with
   */
  public int helpWithChunks(Function<String, Optional<BoundAudit>> bind, BooleanSupplier stop) {
    if (chunks.isEmpty() || cancellation.isCancelled() || stop.getAsBoolean()) {
      return 0;
    }
    int helped = 0;
    for (ChunkStore.OpenPlan plan : chunks.get().openPlans()) {
      if (inFlight.contains(plan.auditId())) {
        continue; // this node coordinates it and works on it already
      }
      Optional<BoundAudit> bound = bind.apply(plan.auditId());
      Optional<ChunkedRun> run =
          bound.flatMap(
              b ->
                  executor.chunkedRun(
                      b, plan.fingerprint(), plan.keyColumn(), plan.scope(), targets::dataSource));
      if (run.isEmpty()) {
        LOG.debug(
            "not helping with run {} of {}: another definition", plan.runId(), plan.auditId());
        continue;
      }
      Audit audit = bound.get().audit();
      // a slot of every target the audit reads (both of a reference across databases), in name
      // order like a run's own; none when one of them is busy enough
      List<AutoCloseable> held = new ArrayList<>();
      try {
        for (String target : audit.targets().stream().sorted().toList()) {
          Optional<AutoCloseable> slot = leases.orElseThrow().trySlot(target, slotsOf(target));
          if (slot.isEmpty()) {
            break;
          }
          held.add(slot.get());
        }
        if (held.size() < audit.targets().size()) {
          continue;
        }
        LOG.info("helping with chunks of run {} of audit {}", plan.runId(), plan.auditId());
        run.get()
            .withKeys(chunks.get().keys(plan.runId(), audit))
            .work(chunks.get().queue(plan.runId()), stop);
        helped++;
      } catch (SQLException e) {
        throw new StoreException("cannot take a slot of " + audit.targets(), e);
      } catch (Exception e) {
        LOG.warn(
            "helping with run {} of {} failed: {}",
            plan.runId(),
            plan.auditId(),
            Redactor.redact(String.valueOf(e.getMessage())));
      } finally {
        for (int i = held.size() - 1; i >= 0; i--) {
          try {
            held.get(i).close();
          } catch (Exception e) {
            LOG.warn(
                "cannot give back a slot: {}", Redactor.redact(String.valueOf(e.getMessage())));
          }
        }
      }
    }
    return helped;
  }

  /** How many audits may run on a target at once ({@code max_concurrent_audits}). */
  private int slotsOf(String target) {
    return targets
        .config(target)
        .orElseThrow(() -> new IllegalStateException("unknown target " + target))
        .maxConcurrentAudits();
  }

  /** Whether this process is running the audit right now. */
  public boolean isRunning(String auditId) {
    return inFlight.contains(auditId);
  }

  /** Stops everything in flight: queries are cancelled on the server, waiting runs give up. */
  public void cancelRunning() {
    cancellation.cancelAll();
  }

  /** Records (and returns) an error result for an audit that could not even start. */
  public AuditResult recordFailure(
      Audit audit, RunError error, RunTrigger trigger, Instant fireTime) {
    AuditResult result =
        AuditResult.failed(audit, RunStatus.ERROR, error, clock.instant(), Duration.ZERO);
    runs.flatMap(r -> r.begin(audit, trigger, fireTime))
        .ifPresent(id -> runs.get().finish(id, result));
    return result;
  }

  /** Runs several audits one after the other (used by {@code check} and {@code demo}). */
  public List<AuditResult> runAll(Binding binding, List<Audit> selected, RunTrigger trigger) {
    Instant fireTime = clock.instant();
    List<AuditResult> results = new ArrayList<>();
    for (Audit audit : selected) {
      RunError unavailable = binding.unavailable().get(audit.id());
      if (unavailable != null) {
        results.add(recordFailure(audit, unavailable, trigger, fireTime));
        continue;
      }
      binding.bound().stream()
          .filter(b -> b.audit().id().equals(audit.id()))
          .findFirst()
          .flatMap(b -> run(b, trigger, fireTime))
          .ifPresent(results::add);
    }
    return results;
  }

  /** Ends queries of {@code audit} that a node which lost its lease left running on the target. */
  private void endOrphanedQueries(Audit audit) {
    try {
      int ended = OrphanedQueries.terminate(targets.dataSource(audit.target()), audit);
      if (ended > 0) {
        LOG.warn(
            "audit {}: ended {} left running on {} by a node that lost its lease",
            audit.id(),
            Plural.of(ended, "query", "queries"),
            audit.target());
      }
    } catch (SQLException e) {
      // the target is down (the run will say so) or the role may not end the sessions
      LOG.warn(
          "audit {}: cannot check {} for queries left by a lost node: {}",
          audit.id(),
          audit.target(),
          ErrorClassifier.targetFailure(e).message());
    }
  }

  /** The store's lease sessions (empty without a store). */
  public Optional<Leases> leases() {
    return leases;
  }

  @Override
  public void close() {
    leases.ifPresent(Leases::close);
    targets.close();
    store.ifPresent(Store::close);
  }
}
