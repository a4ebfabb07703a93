package io.integrityauditor.store;

import io.integrityauditor.Plural;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An alert record as on-call sees it.
 *
 * @param newKeys sample keys first seen in the latest run
 * @param persistingKeys sample keys also seen in earlier runs of this alert
 * @param goneKeys sample keys seen before but not in the latest run (fixed, or no longer sampled)
 * @param newViolations of every violating row of the latest run, how many were not violating in the
 *     completed run before it (exact, from the tracked keys); null when unknown
 * @param persistingViolations how many were violating then too
 * @param goneViolations rows violating then but not in the latest run
 * @param baselineViolations of every violating row of the latest run, how many are in the audit's
 *     baseline (accepted backlog); null when unknown
 * @param shownInBaseline of the latest run's sample keys ({@code newKeys} and {@code
 *     persistingKeys}), those in the audit's baseline
 * @param shownOutsideBaseline those outside it: the rows an alert on {@code max_new_violations} is
 *     about. A key in neither list is not known to be in or outside (no baseline, a run recorded
 *     before V17, or a kind whose keys are not tracked)
 * @param acknowledgementCovers what the acknowledgement covers: the run it was taken on and what
 *     broke since; null when not acknowledged, or acknowledged before V20 recorded the run
 */
public record AlertView(
    long id,
    String auditId,
    String target,
    String severity,
    String owner,
    String state,
    Instant openedAt,
    Instant lastSeenAt,
    Instant resolvedAt,
    long currentViolations,
    long maxViolations,
    Long rowsChecked,
    Long openedRunId,
    Long lastRunId,
    Long resolvedRunId,
    String acknowledgedBy,
    Instant acknowledgedAt,
    String acknowledgementNote,
    List<Map<String, String>> newKeys,
    List<Map<String, String>> persistingKeys,
    List<Map<String, String>> goneKeys,
    Long newViolations,
    Long persistingViolations,
    Long goneViolations,
    Long baselineViolations,
    List<Map<String, String>> shownInBaseline,
    List<Map<String, String>> shownOutsideBaseline,
    AckCoverage acknowledgementCovers) {
  public AlertView {
    newKeys = List.copyOf(newKeys);
    shownInBaseline = List.copyOf(shownInBaseline);
    shownOutsideBaseline = List.copyOf(shownOutsideBaseline);
    persistingKeys = List.copyOf(persistingKeys);
    goneKeys = List.copyOf(goneKeys);
  }

  /**
   * An acknowledgement covers what the alert showed on the run it was taken on: rows that broke in
   * later runs are not acknowledged, and whoever reads the alert must see them as such.
   *
   * @param runId the alert's last run when it was acknowledged
   * @param violations that run's violating rows
   * @param outsideBaseline of those, the rows outside the audit's baseline; null without a baseline
   * @param brokeSince rows that started violating in the runs after it (the sum of each run's new
   *     rows: a row that broke and was fixed again counts too); null when a run's split is unknown
   * @param keysSince the sample keys first shown after it that the latest run still shows
   */
  public record AckCoverage(
      long runId,
      long violations,
      Long outsideBaseline,
      Long brokeSince,
      List<Map<String, String>> keysSince) {
    public AckCoverage {
      keysSince = List.copyOf(keysSince);
    }

    /** Whether something broke after the acknowledgement (or may have: the split is unknown). */
    public boolean somethingSince() {
      return brokeSince == null ? !keysSince.isEmpty() : brokeSince > 0;
    }
  }

  /**
   * What an acknowledgement covers, in one line for {@code alerts} and the alert's page: the alert
   * as it was on the run it was taken on. A row that broke after it is not acknowledged, and the
   * line says so in capitals, since the line above it says "acknowledged by". Empty when not
   * acknowledged, or acknowledged before the store recorded the run.
   */
  public Optional<String> acknowledgementCoverage() {
    AckCoverage covers = acknowledgementCovers;
    if (acknowledgedBy == null || covers == null) {
      return Optional.empty();
    }
    String then =
        "the acknowledgement covers run "
            + covers.runId()
            + " ("
            + counts(covers.violations(), covers.outsideBaseline())
            + ")";
    if (!covers.somethingSince()) {
      return Optional.of(then + "; no row broke since");
    }
    Long outsideNow =
        baselineViolations == null || baselineViolations == 0
            ? null
            : currentViolations - baselineViolations;
    String broke =
        covers.brokeSince() == null
            ? "rows broke since (how many is not known: a later run's keys were not tracked)"
            : Plural.of(covers.brokeSince(), "row") + " broke since";
    String keys =
        covers.keysSince().isEmpty()
            ? ""
            : ", sample keys ("
                + covers.keysSince().size()
                + "): "
                + covers.keysSince().stream()
                    .map(Object::toString)
                    .collect(Collectors.joining(" "));
    return Optional.of(
        then
            + "; NOT ACKNOWLEDGED: "
            + broke
            + " (now "
            + counts(currentViolations, outsideNow)
            + ")"
            + keys);
  }

  private static String counts(long violations, Long outsideBaseline) {
    return Plural.of(violations, "violating row")
        + (outsideBaseline == null ? "" : ", " + outsideBaseline + " outside the baseline");
  }

  /**
   * Whether every sample key of the latest run is known to be in or outside the baseline (the lists
   * {@code shownInBaseline} and {@code shownOutsideBaseline} hold them all).
   */
  public boolean baselineOfShownKeysKnown() {
    return baselineViolations != null
        && baselineViolations > 0
        && shownInBaseline.size() + shownOutsideBaseline.size()
            == newKeys.size() + persistingKeys.size();
  }

  /**
   * When rows outside the baseline are not among the sample keys: how many, and how to find them.
   * Empty when every such row is shown, or when it is not known.
   */
  public Optional<String> outsideBaselineNotShown() {
    if (!baselineOfShownKeysKnown()) {
      return Optional.empty();
    }
    return SampleBaseline.outsideNotShown(
        auditId,
        currentViolations,
        baselineViolations,
        shownOutsideBaseline.size(),
        newKeys.size() + persistingKeys.size());
  }

  /** Whether the alert is open (not resolved). */
  public boolean open() {
    return AlertState.OPEN.label().equals(state);
  }
}
