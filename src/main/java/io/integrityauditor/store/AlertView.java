package io.integrityauditor.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An alert record as on-call sees it.
 *
 * @param newKeys sample keys first seen in the latest run
 * @param persistingKeys sample keys also seen in earlier runs of this alert
 * @param goneKeys sample keys seen before but not in the latest run (fixed, or no longer sampled)
 * @param newViolations of every violating row of the latest run, how many were not violating in the
 *     completed run before it (exact, from the tracked keys); null when unknown
 * @param persistingViolations how many were violating then too
 * @param goneViolations rows violating then but not in the latest run
 * @param baselineViolations of every violating row of the latest run, how many are in the audit's
 *     baseline (accepted backlog); null when unknown
 */
public record AlertView(
    long id,
    String auditId,
    String target,
    String severity,
    String owner,
    String state,
    Instant openedAt,
    Instant lastSeenAt,
    Instant resolvedAt,
    long currentViolations,
    long maxViolations,
    Long rowsChecked,
    Long openedRunId,
    Long lastRunId,
    Long resolvedRunId,
    String acknowledgedBy,
    Instant acknowledgedAt,
    String acknowledgementNote,
    List<Map<String, String>> newKeys,
    List<Map<String, String>> persistingKeys,
    List<Map<String, String>> goneKeys,
    Long newViolations,
    Long persistingViolations,
    Long goneViolations,
    Long baselineViolations) {
  public AlertView {
    newKeys = List.copyOf(newKeys);
    persistingKeys = List.copyOf(persistingKeys);
    goneKeys = List.copyOf(goneKeys);
  }

  /** Whether the alert is open (not resolved). */
  public boolean open() {
    return AlertState.OPEN.label().equals(state);
  }
}
