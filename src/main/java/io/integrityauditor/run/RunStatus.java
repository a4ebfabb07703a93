package io.integrityauditor.run;

import java.util.Locale;

/** How a run ended. Only {@link #OK} and {@link #VIOLATIONS} carry counts. */
public enum RunStatus {
  OK,
  VIOLATIONS,
  ERROR,
  TIMEOUT,
  INTERRUPTED;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RunStatus fromLabel(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }

  /** The audit ran to completion and its counts can be trusted. */
  public boolean completed() {
    return this == OK || this == VIOLATIONS;
  }
}
