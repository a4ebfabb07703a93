package io.integrityauditor.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One row of run history, with its sample keys, as the CLI and the HTTP API show it. {@code mode}
 * says which execution produced the figures: {@code full}, {@code chunked} ({@code chunks}
 * statements on {@code chunkNodes} nodes) or {@code incremental} (the rows past {@code
 * watermarkFrom} up to {@code watermarkTo} were read, {@code scannedRows} of them; the figures add
 * the findings carried forward from the latest full sweep); null when the run has not run (skipped,
 * still running, interrupted before it finished). {@code newViolations}, {@code
 * persistingViolations} and {@code goneViolations} compare every violating key with the previous
 * completed run's ({@code keyTracking}: {@code exact}; {@code first}, {@code over_cap} or {@code
 * incomplete} leave them null; null when not tracked). {@code baselineViolations} of the violating
 * rows are in the audit's baseline, and the oldest has been violating since {@code
 * oldestViolationSince} (both null when not known). {@code sampleInBaseline} says, for each sample
 * key in order, whether it is in the baseline (null: not known; kept only for the run whose key set
 * the audit keeps); empty when none is known (no baseline, or an earlier run).
 */
public record RunView(
    long id,
    String auditId,
    String target,
    String kind,
    String severity,
    String trigger,
    Instant scheduledFireTime,
    Instant startedAt,
    Instant finishedAt,
    String status,
    Long violations,
    Long rowsChecked,
    Boolean thresholdBreached,
    Long durationMs,
    int attempts,
    String mode,
    Integer chunks,
    Integer chunkNodes,
    Long scannedRows,
    String watermarkFrom,
    String watermarkTo,
    String errorClass,
    String errorMessage,
    String nodeId,
    Long newViolations,
    Long persistingViolations,
    Long goneViolations,
    String keyTracking,
    Long baselineViolations,
    Instant oldestViolationSince,
    List<Map<String, String>> samples,
    List<Boolean> sampleInBaseline) {
  public RunView {
    samples = List.copyOf(samples);
    // nulls stand for "not known", which List.copyOf refuses
    sampleInBaseline = Collections.unmodifiableList(new ArrayList<>(sampleInBaseline));
  }

  /** Whether any sample key is known to be in or outside the baseline. */
  public boolean sampleBaselineKnown() {
    return sampleInBaseline.stream().anyMatch(java.util.Objects::nonNull);
  }
}
