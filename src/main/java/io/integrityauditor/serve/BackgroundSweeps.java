package io.integrityauditor.serve;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.store.Leases;
import io.integrityauditor.store.RunStore;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's two background threads besides the scheduler's: one marks runs abandoned by dead
 * processes as interrupted, the other helps peers with the chunks of their chunked runs.
 */
final class BackgroundSweeps {
  private static final Logger LOG = LoggerFactory.getLogger(BackgroundSweeps.class);

  /** How often a node looks for chunks of its peers' chunked runs to help with. */
  static final Duration CHUNK_POLL = Duration.ofSeconds(1);

  private final Auditor auditor;
  private final ActiveAudits active;
  private final CatalogCache catalogs;
  private final ScheduledExecutorService sweeper = daemon("abandoned-run-sweeper");
  private final ScheduledExecutorService chunkHelper = daemon("chunk-helper");
  private volatile boolean stopping;

  BackgroundSweeps(Auditor auditor, ActiveAudits active, CatalogCache catalogs) {
    this.auditor = auditor;
    this.active = active;
    this.catalogs = catalogs;
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread thread = new Thread(r, name);
          thread.setDaemon(true);
          return thread;
        });
  }

  /** Sweeps for abandoned runs every {@code sweepEvery}, and looks for peers' chunks. */
  void start(Duration sweepEvery) {
    long every = sweepEvery.toMillis();
    sweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
    chunkHelper.scheduleWithFixedDelay(
        this::helpQuietly, CHUNK_POLL.toMillis(), CHUNK_POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops sweeping and takes no new chunk; a chunk being run continues. */
  void stop() {
    sweeper.shutdownNow();
    stopping = true;
    chunkHelper.shutdown();
  }

  /** Waits for a chunk being run to finish; true when none runs anymore. */
  boolean awaitChunk(Duration limit) throws InterruptedException {
    return chunkHelper.awaitTermination(Math.max(0, limit.toNanos()), TimeUnit.NANOSECONDS);
  }

  void stopNow() {
    chunkHelper.shutdownNow();
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

  private void sweepQuietly() {
    try {
      sweepAbandoned();
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "cannot check for abandoned runs: {}", Redactor.redact(String.valueOf(e.getMessage())));
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
  private Optional<BoundAudit> bindActive(String auditId) {
    return active
        .get(auditId)
        .flatMap(catalogs::bind)
        .flatMap(bound -> bound.bound().stream().findFirst());
  }
}
