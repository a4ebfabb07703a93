package io.integrityauditor.serve;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditBinder;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.run.RunError;
import io.integrityauditor.schedule.FiredJobs;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.store.SkipReason;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node does when the scheduler fires: an active audit bound to its target's cached
 * catalog and run, or the failure recorded; fire times skipped because a run overran them; and the
 * daily retention pruning.
 */
final class FiredRuns implements FiredJobs {
  private static final Logger LOG = LoggerFactory.getLogger(FiredRuns.class);

  private final Auditor auditor;
  private final ActiveAudits active;
  private final CatalogCache catalogs;

  /** Told of each fire time of an audit this node does not define (counted in the metrics). */
  private final Runnable undefinedFired;

  FiredRuns(Auditor auditor, ActiveAudits active, CatalogCache catalogs, Runnable undefinedFired) {
    this.undefinedFired = undefinedFired;
    this.auditor = auditor;
    this.active = active;
    this.catalogs = catalogs;
  }

  /** Called by the audit's Quartz job; never throws, so one broken audit cannot stop the others. */
  @Override
  public void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering) {
    Optional<Audit> defined = active.get(auditId);
    if (defined.isEmpty()) {
      // Quartz gave this fire time to this node, so no other node runs it: it is lost. Counted
      // (integrity_audit_undefined_audit_fires_total, alert IntegrityAuditNodesDisagree), since a
      // lost first run of a @weekly audit otherwise shows nothing for a week.
      undefinedFired.run();
      LOG.warn(
          "audit {} fired for {} but is not defined on node {}: that run is lost (nothing"
              + " recorded). The nodes load different audit files: deploy the same files to"
              + " every node and reload each of them (SIGHUP or POST /api/reload on every node);"
              + " compare integrity_audit_audit_files_info across the nodes",
          auditId,
          fireTime,
          auditor.config().nodeId());
      return;
    }
    Audit audit = defined.get();
    if (recovering) {
      LOG.warn("audit {}: recovering the run for {} of a node that died", auditId, fireTime);
    }
    try {
      Optional<AuditBinder.Result> binding = catalogs.bind(audit);
      if (binding.isEmpty()) {
        auditor.recordFailure(
            audit,
            new RunError(
                "connection",
                "cannot read the catalog of target " + String.join(" or ", audit.targets())),
            trigger,
            fireTime);
        return;
      }
      AuditBinder.Result bound = binding.get();
      if (bound.bound().isEmpty()) {
        String reason =
            bound.problems().stream().map(ConfigProblem::format).collect(Collectors.joining("; "));
        LOG.warn("audit {} cannot run: {}", auditId, reason);
        auditor.recordFailure(audit, new RunError("config", reason), trigger, fireTime);
        return;
      }
      auditor.run(bound.bound().get(0), trigger, fireTime, recovering);
    } catch (RuntimeException e) {
      LOG.error(
          "audit {} for {} failed: {}", auditId, fireTime, Redactor.redact(String.valueOf(e)), e);
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
    record(
        auditId,
        skipped,
        notListed,
        SkipReason.OVERRUN,
        "came while the run for " + runFireTime + " was still going; next run at " + next);
  }

  @Override
  public void skippedMisfire(String auditId, List<Instant> skipped, long notListed) {
    long total = skipped.size() + notListed;
    LOG.warn(
        "audit {}: no node took {} from {} within the misfire threshold (the cluster is starved:"
            + " every thread busy, or the machine overloaded); running it once now instead",
        auditId,
        Plural.of(total, "fire time"),
        skipped.get(0));
    record(
        auditId,
        skipped,
        notListed,
        SkipReason.MISFIRE,
        "no node took it within the misfire threshold; the audit ran once afterwards instead");
  }

  private void record(
      String auditId, List<Instant> skipped, long notListed, SkipReason reason, String message) {
    Optional<Audit> audit = active.get(auditId);
    if (audit.isEmpty()) {
      return;
    }
    try {
      auditor.runs().orElseThrow().recordSkipped(audit.get(), skipped, notListed, reason, message);
    } catch (RuntimeException e) {
      LOG.warn(
          "audit {}: cannot record {} as skipped ({}{}): {}",
          auditId,
          Plural.of(skipped.size() + notListed, "fire time"),
          skipped,
          notListed > 0 ? " and " + notListed + " more" : "",
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
          new AlertStore(auditor.store().orElseThrow(), auditor.clock())
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
}
