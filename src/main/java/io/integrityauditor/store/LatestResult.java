package io.integrityauditor.store;

import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import java.time.Instant;
import java.util.List;

/**
 * An audit's latest result as the store keeps it (one row per audit, maintained with every run):
 * plain and immutable, so readers (metrics, the pages) never see the store's generated classes. A
 * new figure is a component here, its column in {@link ResultSnapshot#read}, and its gauge.
 *
 * @param status of the latest finished run
 * @param finishedAt when the latest run finished
 * @param durationMs how long the latest run took; null if not recorded
 * @param lastSuccessAt when the latest completed run (ok or violations) finished; null if none
 * @param violations of the latest completed run; null if none
 * @param rowsChecked of the latest completed run; null if none
 * @param thresholdBreached whether the latest completed run breached the threshold; null if none
 * @param consecutiveFailures runs that did not complete since the latest one that did
 * @param mode the mode of the latest run; null for runs recorded before modes existed
 * @param lastFullSuccessAt when the latest completed run that read every row finished; null if none
 * @param newViolations violating rows of the latest completed run not violating in the completed
 *     run before it (every key tracked); null when unknown
 * @param goneViolations rows violating in the completed run before it but not in it; null when
 *     unknown
 * @param baselineViolations violating rows of the latest completed run in the audit's baseline;
 *     null when unknown (keys not tracked)
 * @param oldestViolationAgeSeconds how long its oldest violating row had been violating when it
 *     started (0 without violations); null when unknown
 * @param violationsOlderThan violating rows at least 1h, 1d, 7d and 30d old then (the buckets of
 *     {@link #OLDER_THAN}); null when unknown
 */
public record LatestResult(
    String auditId,
    RunStatus status,
    Instant finishedAt,
    Long durationMs,
    Instant lastSuccessAt,
    Long violations,
    Long rowsChecked,
    Boolean thresholdBreached,
    int consecutiveFailures,
    RunInfo.Mode mode,
    Instant lastFullSuccessAt,
    Long newViolations,
    Long goneViolations,
    Long baselineViolations,
    Double oldestViolationAgeSeconds,
    List<Long> violationsOlderThan) {
  /** The ages {@code violationsOlderThan} counts, as the label values of its gauge. */
  public static final List<String> OLDER_THAN = List.of("1h", "1d", "7d", "30d");

  public LatestResult {
    violationsOlderThan = violationsOlderThan == null ? null : List.copyOf(violationsOlderThan);
  }
}
