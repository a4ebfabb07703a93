package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.Plural;
import io.integrityauditor.TextTable;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.AlertView;
import io.integrityauditor.store.Store;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    mixinStandardHelpOptions = true,
    name = "alerts",
    description =
        "List alert records: which audit, since when, how many rows, which keys are new and which"
            + " persist, who acknowledged.")
final class AlertsCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @ArgGroup(exclusive = true)
  Which which = new Which();

  static final class Which {
    @Option(names = "--open", description = "Open alerts only (the default).")
    boolean open;

    @Option(names = "--all", description = "Open and resolved alerts (history).")
    boolean all;
  }

  @Option(names = "--limit", defaultValue = "100", description = "At most this many (default 100).")
  int limit;

  @Mixin FormatOption output;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    try (Store store = StoreAccess.open(config.loadWithoutServing(), "alerts")) {
      List<AlertView> alerts = new AlertStore(store, Clock.systemUTC()).list(which.all, limit);
      if (output.json()) {
        out.println(Json.writePretty(Map.of("data", alerts)));
        return ExitCodes.CLEAN;
      }
      if (alerts.isEmpty()) {
        out.println(which.all ? "No alerts." : "No open alerts.");
        return ExitCodes.CLEAN;
      }
      TextTable table =
          new TextTable(
                  "ID",
                  "STATE",
                  "SEVERITY",
                  "AUDIT",
                  "TARGET",
                  "VIOLATIONS",
                  "MAX",
                  "OPENED",
                  "LAST SEEN",
                  "ACKNOWLEDGED")
              .alignRight(0, 5, 6);
      for (AlertView alert : alerts) {
        table.add(
            String.valueOf(alert.id()),
            alert.state(),
            alert.severity(),
            alert.auditId(),
            alert.target(),
            String.valueOf(alert.currentViolations()),
            String.valueOf(alert.maxViolations()),
            String.valueOf(alert.openedAt()),
            String.valueOf(alert.open() ? alert.lastSeenAt() : alert.resolvedAt()),
            acknowledged(alert));
      }
      out.print(table.render());
      for (AlertView alert : alerts) {
        if (!alert.open()) {
          continue;
        }
        out.printf(
            "%nalert %d (%s, owner %s):%n",
            alert.id(), alert.auditId(), alert.owner() == null ? "none" : alert.owner());
        if (alert.newViolations() != null) {
          out.printf(
              "  violating rows since the run before: %d new, %d persisting, %d gone%n",
              alert.newViolations(), alert.persistingViolations(), alert.goneViolations());
        }
        if (alert.baselineViolations() != null && alert.baselineViolations() > 0) {
          out.printf(
              "  baseline (accepted backlog): %d in it, %d outside it%n",
              alert.baselineViolations(), alert.currentViolations() - alert.baselineViolations());
        }
        if (Objects.equals(alert.openedRunId(), alert.lastRunId())) {
          // every sample key of an alert's first run is new to the alert, not necessarily to the
          // data (with a baseline, most are old rows): the split above is the one that counts
          keys(" sample", alert.newKeys());
        } else {
          keys(" new", alert.newKeys());
        }
        keys(" persisting", alert.persistingKeys());
        baselineOfShownKeys(alert);
        keys(" gone", alert.goneKeys());
        if (alert.acknowledgedBy() != null) {
          out.printf(
              "  acknowledged by %s at %s: %s%n",
              alert.acknowledgedBy(), alert.acknowledgedAt(), alert.acknowledgementNote());
          alert.acknowledgementCoverage().ifPresent(line -> out.printf("  %s%n", line));
        }
      }
      return ExitCodes.CLEAN;
    }
  }

  /** The table's ACKNOWLEDGED cell: who, and that rows broke after it when they did. */
  private static String acknowledged(AlertView alert) {
    if (alert.acknowledgedBy() == null) {
      return "-";
    }
    AlertView.AckCoverage covers = alert.acknowledgementCovers();
    if (covers == null || !alert.open() || !covers.somethingSince()) {
      return alert.acknowledgedBy();
    }
    return alert.acknowledgedBy()
        + ", not the "
        + (covers.brokeSince() == null ? "rows" : Plural.of(covers.brokeSince(), "row"))
        + " since";
  }

  /**
   * Which of the latest run's sample keys are outside the audit's baseline, and where to look when
   * the rows outside it are not among them (an alert about 1 row outside a large backlog usually
   * shows backlog rows: the sample is chosen by fingerprint, not by baseline).
   */
  private void baselineOfShownKeys(AlertView alert) {
    if (alert.baselineViolations() == null || alert.baselineViolations() == 0) {
      return;
    }
    if (!alert.baselineOfShownKeysKnown()) {
      out.printf(
          "  which of the sample keys are in the baseline is not known (a run recorded by an older"
              + " version); the next run says%n");
      return;
    }
    int outsideShown = alert.shownOutsideBaseline().size();
    if (outsideShown > 0) {
      keys(" outside the baseline: sample", alert.shownOutsideBaseline());
    }
    out.printf(
        "  %s%n",
        outsideShown == 0
            ? "every sample key is in the baseline"
            : Plural.of(alert.shownInBaseline().size(), "other sample key") + " in the baseline");
    alert.outsideBaselineNotShown().ifPresent(hint -> out.printf("  %s%n", hint));
  }

  private void keys(String label, List<Map<String, String>> keys) {
    if (!keys.isEmpty()) {
      out.printf(
          " %s keys (%d): %s%n",
          label, keys.size(), keys.stream().map(Object::toString).collect(Collectors.joining(" ")));
    }
  }
}
