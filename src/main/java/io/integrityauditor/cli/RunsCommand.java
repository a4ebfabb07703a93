package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.TextTable;
import io.integrityauditor.config.Durations;
import io.integrityauditor.store.KeySets;
import io.integrityauditor.store.RunStore;
import io.integrityauditor.store.RunView;
import io.integrityauditor.store.SampleBaseline;
import io.integrityauditor.store.Store;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "runs",
    description = "Show an audit's run history with sample keys, newest first.")
final class RunsCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Parameters(paramLabel = "AUDIT_ID", description = "The audit.")
  String auditId;

  @Option(
      names = "--limit",
      defaultValue = "20",
      description = "At most this many runs (default 20).")
  int limit;

  @Mixin FormatOption output;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    try (Store store = StoreAccess.open(config.loadWithoutServing(), "runs")) {
      List<RunView> runs = new RunStore(store, "cli", Clock.systemUTC()).history(auditId, limit);
      if (output.json()) {
        out.println(Json.writePretty(Map.of("data", runs)));
        return ExitCodes.CLEAN;
      }
      if (runs.isEmpty()) {
        out.println("No runs of " + auditId + " recorded.");
        return ExitCodes.CLEAN;
      }
      TextTable table =
          new TextTable(
                  "RUN",
                  "FIRE TIME",
                  "TRIGGER",
                  "NODE",
                  "STATUS",
                  "MODE",
                  "VIOLATIONS",
                  "NEW/PERSIST/GONE",
                  "BASELINE",
                  "OLDEST",
                  "ROWS CHECKED",
                  "TIME",
                  "ERROR")
              .alignRight(0, 6, 7, 8, 9, 10, 11);
      for (RunView run : runs) {
        table.add(
            String.valueOf(run.id()),
            String.valueOf(run.scheduledFireTime()),
            run.trigger(),
            run.nodeId(),
            run.status() + (Boolean.TRUE.equals(run.thresholdBreached()) ? " !" : ""),
            (run.mode() == null ? "-" : run.mode())
                + (run.chunks() == null ? "" : " " + run.chunks() + "x")
                + (run.watermarkTo() == null ? "" : " to " + run.watermarkTo()),
            run.violations() == null ? "-" : String.valueOf(run.violations()),
            split(run),
            run.baselineViolations() == null ? "-" : String.valueOf(run.baselineViolations()),
            oldest(run),
            run.rowsChecked() == null ? "-" : String.valueOf(run.rowsChecked()),
            run.durationMs() == null ? "-" : run.durationMs() + "ms",
            run.errorClass() == null ? "" : run.errorClass() + ": " + run.errorMessage());
      }
      out.print(table.render());
      RunView latest = runs.get(0);
      if (latest.keyTracking() != null && latest.newViolations() == null) {
        out.printf(
            "%nnew/persisting/gone of run %d: %s%n",
            latest.id(), KeySets.describe(latest.keyTracking()));
      }
      if (!latest.samples().isEmpty()) {
        out.printf("%nsample keys of run %d:%n", latest.id());
        for (int i = 0; i < latest.samples().size(); i++) {
          out.println(
              "  "
                  + latest.samples().get(i)
                  + ResultReport.baselineMark(
                      i < latest.sampleInBaseline().size()
                          ? latest.sampleInBaseline().get(i)
                          : null));
        }
        outsideNotShown(latest).ifPresent(hint -> out.println("  " + hint));
      }
      return ExitCodes.CLEAN;
    }
  }

  /** When the run's rows outside the baseline are not all among its sample keys. */
  private static Optional<String> outsideNotShown(RunView run) {
    if (!run.sampleBaselineKnown() || run.violations() == null) {
      return Optional.empty();
    }
    return SampleBaseline.outsideNotShown(
        run.auditId(),
        run.violations(),
        run.baselineViolations(),
        run.sampleInBaseline().stream().filter(Boolean.FALSE::equals).count(),
        run.samples().size());
  }

  /** How long the oldest violating row had been violating when the run started; "-" unknown. */
  static String oldest(RunView run) {
    if (run.oldestViolationSince() == null || run.startedAt() == null) {
      return "-";
    }
    Duration age = Duration.between(run.oldestViolationSince(), run.startedAt());
    return Durations.format(Duration.ofSeconds(age.toSeconds()));
  }

  /** New, persisting and gone violating rows since the previous completed run; "-" unknown. */
  static String split(RunView run) {
    if (run.newViolations() == null) {
      return "-";
    }
    return run.newViolations() + "/" + run.persistingViolations() + "/" + run.goneViolations();
  }
}
