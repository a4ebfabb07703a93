package io.integrityauditor.store;

import java.util.Locale;

/** Where an alert record is in its life: open until a completed run is back under threshold. */
public enum AlertState {
  OPEN,
  RESOLVED;

  /** As stored and shown: {@code open}, {@code resolved}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
