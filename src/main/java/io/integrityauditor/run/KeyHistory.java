package io.integrityauditor.run;

import io.integrityauditor.audit.Threshold;
import java.time.Instant;
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
 */
public record KeyHistory(
    long baselineRows,
    Optional<Instant> oldestSince,
    long pastGrace,
    long pastGraceOutsideBaseline) {

  Threshold.Counts counts(long violations, long rowsChecked) {
    return new Threshold.Counts(violations, rowsChecked, pastGrace, pastGraceOutsideBaseline);
  }
}
