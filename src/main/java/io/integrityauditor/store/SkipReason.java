package io.integrityauditor.store;

import java.util.Locale;

/** Why a scheduled fire time was recorded as skipped instead of run. */
public enum SkipReason {
  /**
   * It came while the audit's previous run was still going: the audit takes longer than its
   * interval.
   */
  OVERRUN,
  /**
   * It fired while another node held the audit's lease: that node's run was still going (a node
   * paused past its check-in and declared dead by Quartz keeps running its audit when it resumes).
   */
  LEASE_HELD,
  /**
   * No node took it within the misfire threshold while the cluster was up (every thread busy, the
   * machine starved): Quartz ran the audit once afterwards instead.
   */
  MISFIRE;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
