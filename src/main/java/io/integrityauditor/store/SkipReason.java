package io.integrityauditor.store;

import java.util.Locale;

/** Why a scheduled fire time was recorded as skipped instead of run. */
public enum SkipReason {
  /**
   * It came while the audit's previous run was still going: the audit takes longer than its
   * interval.
   */
  OVERRUN;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
