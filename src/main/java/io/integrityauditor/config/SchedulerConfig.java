package io.integrityauditor.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How {@code serve} schedules audits (the {@code scheduler:} section).
 *
 * @param threads audits one node runs at once
 * @param checkinInterval Quartz cluster check-in; a node silent for about two intervals is declared
 *     dead and its in-flight audits are recovered by a peer
 * @param misfireThreshold how late a fire may be before it counts as missed (then it runs once)
 * @param shutdownGrace how long SIGTERM waits for running audits before cancelling them
 * @param catalogRefresh how often a target's catalog is re-read for binding audits
 * @param firstRunWindow an audit new to the cluster (or whose definition changed) runs once within
 *     this long of being scheduled, at a moment derived from its id, instead of waiting for its
 *     schedule; zero runs them all at once
 * @param overrideSchedule when set, every audit uses this schedule (demos and tests)
 */
public record SchedulerConfig(
    int threads,
    Duration checkinInterval,
    Duration misfireThreshold,
    Duration shutdownGrace,
    Duration catalogRefresh,
    Duration firstRunWindow,
    Optional<String> overrideSchedule) {

  public static final SchedulerConfig DEFAULTS =
      new SchedulerConfig(
          4,
          Duration.ofMillis(7500),
          Duration.ofSeconds(60),
          Duration.ofSeconds(30),
          Duration.ofMinutes(10),
          Duration.ofMinutes(10),
          Optional.empty());
}
