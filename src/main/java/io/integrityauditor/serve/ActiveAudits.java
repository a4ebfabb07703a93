package io.integrityauditor.serve;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.SchedulerConfig;
import io.integrityauditor.schedule.ReloadReport;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The audits this node runs on schedule, as the last (re)load left them, and what that load
 * reported. Replaced as a whole by {@link AuditReload}; read by every other part of the node.
 */
public final class ActiveAudits {
  private final Optional<Schedule> override;
  private final AtomicReference<Map<String, Audit>> active = new AtomicReference<>(Map.of());
  private final AtomicReference<ReloadReport> lastReload = new AtomicReference<>();

  ActiveAudits(SchedulerConfig settings) {
    this.override = settings.overrideSchedule().map(text -> Schedule.parse(text, ZoneOffset.UTC));
  }

  public Map<String, Audit> activeAudits() {
    return active.get();
  }

  Optional<Audit> get(String auditId) {
    return Optional.ofNullable(active.get().get(auditId));
  }

  public Optional<ReloadReport> lastReload() {
    return Optional.ofNullable(lastReload.get());
  }

  /** The schedule an audit really runs on (the override, for demos and tests). */
  public Schedule scheduleOf(Audit audit) {
    return override.orElse(audit.schedule());
  }

  /**
   * Makes {@code next} visible before its jobs are scheduled, keeping the audits still active until
   * {@link #replace}: a new audit's job may fire as soon as the scheduler has it, and a fire time
   * of an audit this node does not know is lost.
   */
  void admit(Map<String, Audit> next) {
    Map<String, Audit> both = new HashMap<>(active.get());
    both.putAll(next);
    active.set(Map.copyOf(both));
  }

  void replace(Map<String, Audit> audits, ReloadReport report) {
    active.set(Map.copyOf(audits));
    lastReload.set(report);
  }
}
