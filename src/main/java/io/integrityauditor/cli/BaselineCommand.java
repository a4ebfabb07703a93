package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.TextTable;
import io.integrityauditor.store.Baselines;
import io.integrityauditor.store.Store;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "baseline",
    description = {
      "Accept the current violating rows of audits as known backlog (who, when, why), so that"
          + " threshold max_new_violations counts only the rows outside it; --clear removes it.",
      "The baseline shrinks by itself as its rows are fixed; a fixed row that breaks again is"
          + " new. Without AUDIT_ID, --all or --clear it lists the baselines."
    })
final class BaselineCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Mixin FormatOption output;

  @Parameters(
      arity = "0..*",
      paramLabel = "AUDIT_ID",
      description = "The audits whose latest completed run's violating rows are accepted.")
  List<String> auditIds = new ArrayList<>();

  @Option(names = "--all", description = "Every audit with a recorded run.")
  boolean all;

  @Option(names = "--clear", description = "Remove the baseline instead: every row counts again.")
  boolean clear;

  @Option(names = "--by", paramLabel = "NAME", description = "Who accepts the backlog.")
  String by;

  @Option(
      names = "--note",
      defaultValue = "",
      paramLabel = "TEXT",
      description = "Why; when it will be burned down (a ticket).")
  String note;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    if (all && !auditIds.isEmpty()) {
      throw new UsageException("give AUDIT_IDs or --all, not both");
    }
    boolean change = all || !auditIds.isEmpty();
    if (clear && !change) {
      throw new UsageException("--clear needs the audits: AUDIT_ID ... or --all");
    }
    if (change && !clear && (by == null || by.isBlank())) {
      throw new UsageException("--by is required: who accepts the backlog");
    }
    try (Store store = StoreAccess.open(config.loadWithoutServing(), "baseline")) {
      Baselines baselines = new Baselines(store, Clock.systemUTC());
      if (!change) {
        return list(baselines.list());
      }
      List<Baselines.Change> changes;
      try {
        changes = clear ? baselines.clear(auditIds) : baselines.accept(auditIds, by, note);
      } catch (IllegalArgumentException e) {
        // the store names the field as the API does ("by"); here it is an option
        throw new UsageException("--" + e.getMessage());
      }
      if (output.json()) {
        out.println(Json.writePretty(Map.of("data", changes)));
      } else {
        changes.forEach(c -> out.println(c.message()));
      }
      boolean refused = Baselines.Change.anyRefused(changes);
      // an audit named on the command line that could not be accepted is a usage problem; with
      // --all the others were accepted and the refusals are reported
      return refused && !all ? ExitCodes.CONFIG_ERROR : ExitCodes.CLEAN;
    }
  }

  private int list(List<Baselines.BaselineView> views) {
    if (output.json()) {
      out.println(Json.writePretty(Map.of("data", views)));
      return ExitCodes.CLEAN;
    }
    if (views.isEmpty()) {
      out.println("No baselines: every violating row counts.");
      return ExitCodes.CLEAN;
    }
    TextTable table =
        new TextTable("AUDIT", "ACCEPTED", "BY", "ROWS ACCEPTED", "STILL VIOLATING", "NOTE")
            .alignRight(3, 4);
    for (Baselines.BaselineView view : views) {
      table.add(
          view.auditId(),
          String.valueOf(view.acceptedAt()),
          view.acceptedBy(),
          String.valueOf(view.acceptedViolations()),
          view.remainingViolations() == null ? "-" : String.valueOf(view.remainingViolations()),
          view.note());
    }
    out.print(table.render());
    return ExitCodes.CLEAN;
  }
}
