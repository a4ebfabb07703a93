package io.integrityauditor.suggest;

import io.integrityauditor.catalog.TableId;
import io.integrityauditor.store.CleanHistory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which proposed references have earned a real foreign key: those checked by a configured orphan
 * audit whose completed runs have been clean for at least {@code cleanFor} ({@code suggest
 * --migrations FILE --clean-for 30d}). The others are written as comments saying why (never run,
 * failed runs only, violations on a date, clean for too short a time).
 *
 * @param cleanFor how long the audit must have been clean
 * @param now the time the clean streak is measured to
 * @param auditsByReference the configured orphan audits (ids) of each reference, keyed by {@link
 *     #reference}; only audits without filters, comparing natively, count: they check exactly what
 *     the foreign key will
 * @param histories each of those audits' run history
 */
public record Graduation(
    Duration cleanFor,
    Instant now,
    Map<String, List<String>> auditsByReference,
    Map<String, CleanHistory> histories) {

  public Graduation {
    auditsByReference = Map.copyOf(auditsByReference);
    histories = Map.copyOf(histories);
  }

  /** The key of a reference, the same for a configured audit and a proposal. */
  public static String reference(
      TableId child, List<String> childColumns, TableId parent, List<String> parentColumns) {
    return child
        + "("
        + String.join(",", childColumns)
        + ")->"
        + parent
        + "("
        + String.join(",", parentColumns)
        + ")";
  }

  /**
   * Whether a reference graduates, and the comment that says why or why not.
   *
   * @param vetoes the audit found orphans within the clean time asked: the data is not clean, even
   *     if another audit of the same reference says it is
   */
  record Verdict(boolean graduates, boolean vetoes, String note) {
    static Verdict refused(String note) {
      return new Verdict(false, false, note);
    }
  }

  Verdict verdict(Side child, Side parent) {
    List<String> audits =
        auditsByReference.getOrDefault(
            reference(
                child.table().id(), child.columnNames(), parent.table().id(), parent.columnNames()),
            List.of());
    if (audits.isEmpty()) {
      return Verdict.refused(
          "no configured orphan audit checks this reference (without filters): add the proposed"
              + " audit and let it run for "
              + days(cleanFor));
    }
    // every audit of the reference must agree: one that found orphans recently vetoes the others
    List<Verdict> verdicts = new ArrayList<>();
    for (String audit : audits.stream().sorted().toList()) {
      verdicts.add(verdict(audit, histories.get(audit)));
    }
    return verdicts.stream()
        .filter(Verdict::vetoes)
        .findFirst()
        .or(() -> verdicts.stream().filter(Verdict::graduates).findFirst())
        .orElse(verdicts.get(0));
  }

  private Verdict verdict(String audit, CleanHistory history) {
    if (history == null || history.runs() == 0) {
      return Verdict.refused("audit " + audit + " never ran");
    }
    if (history.completed() == 0) {
      return Verdict.refused(
          "audit "
              + audit
              + " has failed runs only ("
              + history.runs()
              + " run"
              + (history.runs() == 1 ? "" : "s")
              + ", none completed): its data was never checked");
    }
    Optional<Instant> since = history.cleanSince();
    String violations =
        history
            .lastViolation()
            .map(
                at ->
                    "audit "
                        + audit
                        + " found "
                        + history.lastViolations()
                        + " violation"
                        + (history.lastViolations() == 1 ? "" : "s")
                        + " on "
                        + instant(at))
            .orElse("");
    if (since.isEmpty()) {
      return new Verdict(false, true, violations + ", its latest completed run");
    }
    Duration clean = Duration.between(since.get(), now);
    if (clean.compareTo(cleanFor) < 0) {
      return new Verdict(
          false,
          !violations.isEmpty(),
          (violations.isEmpty() ? "audit " + audit : violations + "; it")
              + " has been clean since "
              + instant(since.get())
              + ": "
              + days(clean)
              + " of the "
              + days(cleanFor)
              + " asked");
    }
    return new Verdict(
        true,
        false,
        "audit "
            + audit
            + " clean since "
            + instant(since.get())
            + " ("
            + days(clean)
            + ", at least "
            + days(cleanFor)
            + " asked; latest completed run "
            + instant(history.lastCompleted().orElse(since.get()))
            + ")");
  }

  private static String instant(Instant at) {
    return at.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** {@code 36h} below two days, else whole days rounded down ({@code 45d}). */
  static String days(Duration duration) {
    return duration.toHours() < 48 ? duration.toHours() + "h" : duration.toDays() + "d";
  }
}
