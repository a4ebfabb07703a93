package io.integrityauditor.config;

import java.time.Duration;

/**
 * How a run that fails for a transient reason is retried (the {@code retry:} section): lost
 * connections (a backend killed, a failover) and replica conflicts ("canceling statement due to
 * conflict with recovery") are retried with exponential backoff within the same run; a run still
 * failing after the last attempt is recorded as an error marked inconclusive, never as clean.
 * Timeouts and SQL errors are not retried: they would fail the same way again.
 *
 * @param attempts total attempts (1 = no retry)
 * @param initialBackoff pause before the second attempt; doubled each time
 * @param maxBackoff longest pause
 */
public record RetryPolicy(int attempts, Duration initialBackoff, Duration maxBackoff) {
  public static final RetryPolicy DEFAULTS =
      new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(30));

  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

  /** The pause before attempt {@code next} (2, 3, ...). */
  public Duration backoffBefore(int next) {
    Duration pause = initialBackoff;
    for (int i = 2; i < next && pause.compareTo(maxBackoff) < 0; i++) {
      pause = pause.multipliedBy(2);
    }
    return pause.compareTo(maxBackoff) > 0 ? maxBackoff : pause;
  }
}
