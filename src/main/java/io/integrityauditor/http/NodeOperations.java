package io.integrityauditor.http;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.RunView;
import java.util.List;
import org.quartz.SchedulerException;

/**
 * What the HTTP routes need of a running node. The node implements it, so {@code http} depends on
 * this small interface and never on the node class that starts the listener (no import cycle).
 */
public interface NodeOperations {
  /** The Prometheus text exposition, secrets already masked. */
  byte[] scrapeMetrics();

  boolean storeReachable();

  /** True once the audit files have been loaded at least once. */
  boolean auditsLoaded();

  List<Audit> activeAudits();

  Schedule scheduleOf(Audit audit);

  List<RunView> runHistory(String auditId, int limit);

  AlertStore alerts();

  /** Asks the cluster to run an audit now; false when no audit with that id is scheduled. */
  boolean trigger(String auditId) throws SchedulerException;

  ReloadReport reload();
}
