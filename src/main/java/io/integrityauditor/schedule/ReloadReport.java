package io.integrityauditor.schedule;

import io.integrityauditor.config.ConfigProblem;
import java.time.Instant;
import java.util.List;

/**
 * What a (re)load of the audit files changed.
 *
 * @param at when it happened
 * @param active audits scheduled now
 * @param added newly scheduled
 * @param updated definition changed: schedule, what it checks, or how it judges and runs
 *     (threshold, severity, timeout, ...); not an audit that only moved within its file
 * @param removed no longer scheduled (only on a load without problems)
 * @param kept audits whose new definition is broken or missing: the previous one keeps running
 * @param problems every configuration problem found; the worker keeps running regardless
 */
public record ReloadReport(
    Instant at,
    List<String> active,
    List<String> added,
    List<String> updated,
    List<String> removed,
    List<String> kept,
    List<ConfigProblem> problems) {
  public ReloadReport {
    active = List.copyOf(active);
    added = List.copyOf(added);
    updated = List.copyOf(updated);
    removed = List.copyOf(removed);
    kept = List.copyOf(kept);
    problems = List.copyOf(problems);
  }

  public boolean clean() {
    return problems.isEmpty();
  }
}
