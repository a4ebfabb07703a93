package io.integrityauditor.store;

import java.util.Locale;

/** What started a run. */
public enum RunTrigger {
  /** Its schedule fired. */
  SCHEDULE,
  /** Someone asked for it ({@code trigger} command or HTTP). */
  MANUAL,
  /** A one-off {@code check}. */
  CHECK;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
