package io.integrityauditor.audit;

import io.integrityauditor.config.Fields;
import java.util.List;
import java.util.Locale;

/** How bad a breached audit is; {@code check --fail-on} and alert routing use it. */
public enum Severity {
  WARN,
  CRITICAL;

  public static final List<String> NAMES = Fields.labels(Severity.class);

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Severity fromLabel(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }

  public boolean atLeast(Severity other) {
    return compareTo(other) >= 0;
  }
}
