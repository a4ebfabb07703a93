package io.integrityauditor.audit.scan;

import java.util.Optional;

/**
 * How a scan fingerprints its violating keys (docs/audits.md, "Tracking every violating key"), one
 * rule per key set, recorded with it (store migration V18):
 *
 * <ul>
 *   <li>{@link #TEXT}: PostgreSQL's 64-bit {@code hashtextextended} of the text array of the key's
 *       columns: any key, of any types and width;
 *   <li>{@link #integer}: where the tracked key is one integer column (smallint, integer, bigint)
 *       that identifies the row (the driving table's one-column primary key, first among the sample
 *       columns), its value itself: nothing to hash or cast to text per row, and no collisions. The
 *       other sample columns (the dangling reference, ...) are shown but not part of the identity.
 * </ul>
 *
 * The sample is the {@code sample_size} smallest fingerprints in either: for an integer key, the
 * smallest keys.
 *
 * @param column the integer key column; null for {@link #TEXT}
 */
public record KeyScheme(String column) {
  /** The text-array hash; every key set written before V18 is in it. */
  public static final KeyScheme TEXT = new KeyScheme(null);

  private static final String INTEGER = "integer:";

  /** The value of integer key column {@code column}. */
  public static KeyScheme integer(String column) {
    return new KeyScheme(column);
  }

  /** Whether the fingerprint is the key's own integer value. */
  public boolean typed() {
    return column != null;
  }

  /** As the store records it ({@code audit_run.key_scheme}, {@code violation_key.scheme}). */
  public String label() {
    return column == null ? "text" : INTEGER + column;
  }

  /** A recorded label; NULL (a key set written before V18) is {@link #TEXT}. */
  public static KeyScheme parse(String label) {
    if (label == null || label.equals("text")) {
      return TEXT;
    }
    if (label.startsWith(INTEGER) && label.length() > INTEGER.length()) {
      return integer(label.substring(INTEGER.length()));
    }
    throw new IllegalArgumentException("not a key scheme: " + label);
  }

  /** The integer key column, if any. */
  public Optional<String> integerColumn() {
    return Optional.ofNullable(column);
  }

  /**
   * SQL that reads a text as a bigint where it is the text form of one (optional sign, digits, in
   * range), else NULL, never an error: the integer scheme's fingerprint of a value that is text now
   * (a key column whose type changed), and of a sample key's value in the store.
   */
  public static String integerFromText(String text) {
    return "(CASE WHEN ("
        + text
        + ") !~ '^-?[0-9]{1,19}$' THEN NULL WHEN ("
        + text
        + ")::numeric BETWEEN -9223372036854775808 AND 9223372036854775807 THEN ("
        + text
        + ")::numeric::bigint END)";
  }
}
