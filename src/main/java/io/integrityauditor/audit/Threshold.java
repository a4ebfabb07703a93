package io.integrityauditor.audit;

import io.integrityauditor.Plural;
import io.integrityauditor.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When violations become a problem. With no limit set, any violation breaches. With limits set, the
 * audit breaches when one is exceeded: more than {@code maxViolations} rows, a violation ratio
 * (violations / rows checked) above {@code maxRatio}, or more than {@code maxNewViolations} rows
 * outside the audit's baseline (the accepted backlog).
 *
 * <p>{@code maxAge} is a grace period, not a limit of its own: rows that have been violating for
 * {@code maxAge} or less are not counted by any limit (and with no limit, a breach needs a row
 * violating for longer than {@code maxAge}). For systems whose loose references are cleaned up by a
 * background job: the count is never 0, a row that stays broken is the signal.
 */
public record Threshold(
    Optional<Long> maxViolations,
    Optional<Double> maxRatio,
    Optional<Long> maxNewViolations,
    Optional<Duration> maxAge) {
  public static final Threshold ANY_VIOLATION =
      new Threshold(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

  public Threshold(Optional<Long> maxViolations, Optional<Double> maxRatio) {
    this(maxViolations, maxRatio, Optional.empty(), Optional.empty());
  }

  /** Whether deciding a breach needs what the store knows of each violating key. */
  public boolean needsKeyHistory() {
    return maxNewViolations.isPresent() || maxAge.isPresent();
  }

  /**
   * The violations a threshold weighs.
   *
   * @param pastGrace violating rows that count: older than {@code maxAge} (all of them without one)
   * @param pastGraceOutsideBaseline of those, the rows not in the baseline
   */
  public record Counts(
      long violations, long rowsChecked, long pastGrace, long pastGraceOutsideBaseline) {
    /**
     * Counts without key history (no store, keys not tracked): every row counts as old and outside
     * the baseline, so that a grace period or a baseline never hides what cannot be checked.
     */
    public static Counts untracked(long violations, long rowsChecked) {
      return new Counts(violations, rowsChecked, violations, violations);
    }
  }

  public boolean breachedBy(long violations, long rowsChecked) {
    return breachedBy(Counts.untracked(violations, rowsChecked));
  }

  public boolean breachedBy(Counts counts) {
    if (maxViolations.isEmpty() && maxRatio.isEmpty() && maxNewViolations.isEmpty()) {
      return counts.pastGrace() > 0;
    }
    if (maxViolations.isPresent() && counts.pastGrace() > maxViolations.get()) {
      return true;
    }
    if (maxRatio.isPresent()
        && counts.rowsChecked() > 0
        && (double) counts.pastGrace() / counts.rowsChecked() > maxRatio.get()) {
      return true;
    }
    return maxNewViolations.isPresent()
        && counts.pastGraceOutsideBaseline() > maxNewViolations.get();
  }

  public String describe() {
    List<String> limits = new ArrayList<>();
    maxViolations.ifPresent(max -> limits.add("more than " + Plural.of(max, "violation")));
    maxRatio.ifPresent(ratio -> limits.add("a ratio above " + ratio));
    maxNewViolations.ifPresent(
        max -> limits.add("more than " + Plural.of(max, "violation") + " outside the baseline"));
    String text = limits.isEmpty() ? "any violation" : String.join(" or ", limits);
    return maxAge
        .map(age -> text + " violating for more than " + Durations.format(age))
        .orElse(text);
  }
}
