package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.Threshold;
import io.integrityauditor.audit.scan.Measurement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The outcome of one run of one audit.
 *
 * @param audit the audit that ran
 * @param status how it ended
 * @param measurement counts and samples; present exactly when the status is ok or violations
 * @param error why it did not complete; present exactly when it did not
 * @param startedAt when the query started
 * @param duration how long it took (the last attempt)
 * @param attempts attempts it took: transient failures are retried within a run
 * @param info how it was executed (full, chunked, incremental) and the details of that mode
 * @param keyHistory baseline and age of its violating rows, once the store compared its keys with
 *     earlier runs'; empty without a store or when its keys are not tracked
 */
public record AuditResult(
    Audit audit,
    RunStatus status,
    Optional<Measurement> measurement,
    Optional<RunError> error,
    Instant startedAt,
    Duration duration,
    int attempts,
    RunInfo info,
    Optional<KeyHistory> keyHistory) {

  public AuditResult(
      Audit audit,
      RunStatus status,
      Optional<Measurement> measurement,
      Optional<RunError> error,
      Instant startedAt,
      Duration duration,
      int attempts) {
    this(audit, status, measurement, error, startedAt, duration, attempts, RunInfo.FULL);
  }

  public AuditResult(
      Audit audit,
      RunStatus status,
      Optional<Measurement> measurement,
      Optional<RunError> error,
      Instant startedAt,
      Duration duration,
      int attempts,
      RunInfo info) {
    this(audit, status, measurement, error, startedAt, duration, attempts, info, Optional.empty());
  }

  public AuditResult {
    if (status.completed() != measurement.isPresent() || status.completed() == error.isPresent()) {
      throw new IllegalArgumentException("a completed run has counts and no error, and vice versa");
    }
  }

  /** The same result, reached on attempt {@code attempts}. */
  public AuditResult afterAttempts(int attempts) {
    return new AuditResult(
        audit, status, measurement, error, startedAt, duration, attempts, info, keyHistory);
  }

  /** The same result, executed as {@code info} says. */
  public AuditResult withInfo(RunInfo info) {
    return new AuditResult(
        audit, status, measurement, error, startedAt, duration, attempts, info, keyHistory);
  }

  /** The same result, with what the store knows of its violating keys. */
  public AuditResult withKeyHistory(KeyHistory history) {
    return new AuditResult(
        audit,
        status,
        measurement,
        error,
        startedAt,
        duration,
        attempts,
        info,
        Optional.of(history));
  }

  public static AuditResult completed(
      Audit audit, Measurement measurement, Instant startedAt, Duration duration) {
    RunStatus status = measurement.violations() > 0 ? RunStatus.VIOLATIONS : RunStatus.OK;
    return new AuditResult(
        audit, status, Optional.of(measurement), Optional.empty(), startedAt, duration, 1);
  }

  public static AuditResult failed(
      Audit audit, RunStatus status, RunError error, Instant startedAt, Duration duration) {
    return new AuditResult(
        audit, status, Optional.empty(), Optional.of(error), startedAt, duration, 1);
  }

  /**
   * The audit's threshold is exceeded. Never true for a run that did not complete. Without key
   * history, a grace period or a baseline cannot be checked: every violating row then counts.
   */
  public boolean thresholdBreached() {
    return measurement
        .map(
            m ->
                audit
                    .threshold()
                    .breachedBy(
                        keyHistory
                            .map(h -> h.counts(m.violations(), m.rowsChecked()))
                            .orElse(Threshold.Counts.untracked(m.violations(), m.rowsChecked()))))
        .orElse(false);
  }
}
