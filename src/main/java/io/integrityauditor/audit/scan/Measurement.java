package io.integrityauditor.audit.scan;

import java.util.List;

/**
 * What a completed audit query found.
 *
 * @param violations violating rows (or items, for schema checks)
 * @param rowsChecked the denominator: rows (or items) examined
 * @param samples up to the audit's sample size of violating keys, deterministic order
 * @param notes extra findings worth showing (e.g. a type mismatch explained), may be empty
 */
public record Measurement(
    long violations, long rowsChecked, List<SampleKey> samples, List<String> notes) {
  public Measurement {
    samples = List.copyOf(samples);
    notes = List.copyOf(notes);
  }

  public Measurement(long violations, long rowsChecked, List<SampleKey> samples) {
    this(violations, rowsChecked, samples, List.of());
  }

  public double ratio() {
    return rowsChecked == 0 ? 0.0 : (double) violations / rowsChecked;
  }
}
