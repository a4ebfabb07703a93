package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.Store;
import java.io.PrintStream;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "ack",
    description = "Acknowledge an open alert: record who is on it and why.")
final class AckCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Parameters(paramLabel = "ALERT_ID", description = "The alert (see `alerts`).")
  long alertId;

  @Option(names = "--by", required = true, paramLabel = "NAME", description = "Who acknowledges.")
  String by;

  @Option(
      names = "--note",
      defaultValue = "",
      paramLabel = "TEXT",
      description = "Why; what happens next.")
  String note;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    try (Store store = StoreAccess.open(config.loadWithoutServing(), "ack")) {
      AlertStore.AckResult result;
      try {
        result = new AlertStore(store, Clock.systemUTC()).acknowledge(alertId, by, note);
      } catch (IllegalArgumentException e) {
        // the store names the field as the API does ("by"); here it is an option
        throw new UsageException("--" + e.getMessage());
      }
      if (result != AlertStore.AckResult.ACKNOWLEDGED) {
        throw new UsageException(
            result == AlertStore.AckResult.NOT_FOUND
                ? "no alert " + alertId + " (see `alerts --all`)"
                : "alert " + alertId + " is resolved; only open alerts can be acknowledged");
      }
      out.printf("alert %d acknowledged by %s%n", alertId, by);
      return ExitCodes.CLEAN;
    }
  }
}
