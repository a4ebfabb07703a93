package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.Measurement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What one unit of an audit's work (a whole audit, a chunk, an increment, a plan) came to after its
 * attempts ({@link Attempts}): its value, or the status and error it failed with.
 *
 * @param startedAt when the last attempt started
 * @param duration how long the last attempt took
 */
record Outcome<T>(
    Optional<T> value,
    RunStatus status,
    Optional<RunError> error,
    Instant startedAt,
    Duration duration,
    int attempts) {

  /** The run's result when this unit failed: the one place a failure becomes a result. */
  AuditResult failure(Audit audit) {
    return AuditResult.failed(audit, status, error.orElseThrow(), startedAt, duration)
        .afterAttempts(attempts);
  }

  /** The run's result when this unit measured the whole audit. */
  AuditResult completed(Audit audit, Measurement measurement) {
    return AuditResult.completed(audit, measurement, startedAt, duration).afterAttempts(attempts);
  }
}
