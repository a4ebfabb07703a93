package io.integrityauditor.config;

import java.time.Duration;

/**
 * How long the store keeps history (the {@code retention:} section); pruned daily by a scheduled
 * job. Open alerts are never pruned.
 *
 * @param runs finished runs (and their samples) older than this are deleted
 * @param resolvedAlerts alerts resolved longer ago than this are deleted
 */
public record RetentionConfig(Duration runs, Duration resolvedAlerts) {
  public static final RetentionConfig DEFAULTS =
      new RetentionConfig(Duration.ofDays(90), Duration.ofDays(90));
}
