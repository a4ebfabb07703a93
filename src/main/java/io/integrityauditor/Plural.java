package io.integrityauditor;

import java.util.Locale;

/**
 * A count and its noun, in the singular for one and the plural otherwise: every message that counts
 * something goes through here, so none says "1 violating rows".
 */
public final class Plural {
  private Plural() {}

  /** {@code 1 audit}, {@code 2 audits}: for nouns whose plural adds an "s". */
  public static String of(long count, String singular) {
    return of(count, singular, singular + "s");
  }

  /** {@code 1 violating row}, {@code 0 missing or mismatched items}. */
  public static String of(long count, String singular, String plural) {
    return String.format(Locale.ROOT, "%d %s", count, count == 1 ? singular : plural);
  }
}
