package io.integrityauditor.http;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.Baselines;
import io.integrityauditor.store.LatestResult;
import io.integrityauditor.store.RunView;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.quartz.SchedulerException;

/**
 * What the HTTP routes need of a running node. The node implements it, so {@code http} depends on
 * this small interface and never on the node class that starts the listener (no import cycle).
 */
public interface NodeOperations {
  /** The node's clock: what "now" is on the pages. */
  Clock clock();

  /** The Prometheus text exposition, secrets already masked. */
  byte[] scrapeMetrics();

  /** Tries the store now: waits for it (up to its connect timeout) when it does not answer. */
  boolean storeReachable();

  /**
   * Whether the store answers: a check of it now when that answers within half a second, else the
   * node's latest read of it (every few seconds, in the background). Never waits longer, so that
   * readiness answers during a store outage.
   */
  boolean storeUpWithoutWaiting();

  /** True once the audit files have been loaded at least once. */
  boolean auditsLoaded();

  List<Audit> activeAudits();

  Schedule scheduleOf(Audit audit);

  List<RunView> runHistory(String auditId, int limit);

  AlertStore alerts();

  /** Accepted backlogs of violating rows (token-protected changes). */
  Baselines baselines();

  /** Asks the cluster to run an audit now; false when no audit with that id is scheduled. */
  boolean trigger(String auditId) throws SchedulerException;

  ReloadReport reload();

  /** The latest recorded result of every audit that has finished a run, by audit id. */
  Map<String, LatestResult> latestResults();

  /** When the audit's schedule next fires on the cluster; empty when it is not scheduled. */
  Optional<Instant> nextFireTime(String auditId) throws SchedulerException;

  /**
   * The statements the audit runs on its target (bind values inlined), bound to the target's
   * current catalog; an explanation instead when it cannot be bound now (target down, schema
   * changed).
   */
  AuditSql auditSql(String auditId);

  /** The SQL of an audit, or why it is not available. */
  record AuditSql(List<String> statements, Optional<String> unavailable) {
    public AuditSql {
      statements = List.copyOf(statements);
    }
  }
}
