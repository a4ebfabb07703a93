package io.integrityauditor.run;

import io.integrityauditor.audit.Threshold;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * What the store knows of a completed run's violating rows beyond its counts, from every violating
 * key tracked across runs: how many are in the audit's baseline (accepted backlog) and how long
 * they have been violating. Known only with a store and a key set of the run (see {@code
 * store.KeySets}).
 *
 * @param baselineRows violating rows whose key is in the baseline
 * @param oldestSince when the oldest violating row was first seen violating; empty with none
 * @param pastGrace violating rows first seen at least the threshold's {@code max_age} before the
 *     run started (all of them without one)
 * @param pastGraceOutsideBaseline of those, the rows not in the baseline
 * @param sampleInBaseline for each sample key of the run, in order, whether it is in the baseline
 *     (null: not known); empty when not looked up (no baseline rows, no samples)
 */
public record KeyHistory(
    long baselineRows,
    Optional<Instant> oldestSince,
    long pastGrace,
    long pastGraceOutsideBaseline,
    List<Boolean> sampleInBaseline) {

  public KeyHistory {
    // nulls stand for "not known", which List.copyOf refuses
    sampleInBaseline = Collections.unmodifiableList(new ArrayList<>(sampleInBaseline));
  }

  public KeyHistory(
      long baselineRows,
      Optional<Instant> oldestSince,
      long pastGrace,
      long pastGraceOutsideBaseline) {
    this(baselineRows, oldestSince, pastGrace, pastGraceOutsideBaseline, List.of());
  }

  /** The same history, with whether each sample key is in the baseline. */
  public KeyHistory withSampleInBaseline(List<Boolean> flags) {
    return new KeyHistory(baselineRows, oldestSince, pastGrace, pastGraceOutsideBaseline, flags);
  }

  Threshold.Counts counts(long violations, long rowsChecked) {
    return new Threshold.Counts(violations, rowsChecked, pastGrace, pastGraceOutsideBaseline);
  }
}
