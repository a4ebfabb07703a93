package io.integrityauditor.audit.scan;

import java.util.List;

/**
 * What a completed audit query found.
 *
 * @param violations violating rows (or items, for schema checks)
 * @param rowsChecked the denominator: rows (or items) examined
 * @param samples up to the audit's sample size of violating keys, deterministic order
 * @param notes extra findings worth showing (e.g. a type mismatch explained), may be empty
 * @param schemaFindings how many of the violations are findings about the schema, not rows (a type
 *     mismatch counted as a violation): they have no row key to track
 */
public record Measurement(
    long violations,
    long rowsChecked,
    List<SampleKey> samples,
    List<String> notes,
    long schemaFindings) {
  public Measurement {
    samples = List.copyOf(samples);
    notes = List.copyOf(notes);
    if (schemaFindings < 0 || schemaFindings > violations) {
      throw new IllegalArgumentException(
          schemaFindings + " schema findings among " + violations + " violations");
    }
  }

  public Measurement(
      long violations, long rowsChecked, List<SampleKey> samples, List<String> notes) {
    this(violations, rowsChecked, samples, notes, 0);
  }

  public Measurement(long violations, long rowsChecked, List<SampleKey> samples) {
    this(violations, rowsChecked, samples, List.of());
  }

  /** The violating rows: the violations that have a key to track. */
  public long violatingRows() {
    return violations - schemaFindings;
  }

  public double ratio() {
    return rowsChecked == 0 ? 0.0 : (double) violations / rowsChecked;
  }
}
