package io.integrityauditor.store;

import java.util.Locale;

/**
 * The rule for text people type that the store keeps and on-call later reads (an acknowledgement's
 * {@code by} and {@code note}): no control characters. PostgreSQL rejects a NUL in text outright
 * (which surfaced as an HTTP 500), and escape sequences would be replayed into the terminal of
 * whoever lists the alerts. A note may span lines and use tabs.
 */
public final class StoreText {
  private StoreText() {}

  /**
   * @param field the name the user knows the value by, e.g. {@code by}
   * @param multiline whether line breaks and tabs are allowed
   * @throws IllegalArgumentException naming the field, the character and its position
   */
  public static void check(String field, String value, boolean multiline) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean allowed = multiline && (c == '\n' || c == '\r' || c == '\t');
      if (Character.isISOControl(c) && !allowed) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s contains the control character U+%04X at position %d; remove it%s",
                field,
                (int) c,
                i + 1,
                multiline ? " (line breaks and tabs are fine)" : ""));
      }
    }
  }
}
