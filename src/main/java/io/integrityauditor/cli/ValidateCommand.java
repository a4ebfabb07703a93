package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.catalog.RoleAccess;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.serve.Auditor;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    mixinStandardHelpOptions = true,
    name = "validate",
    description = {
      "Check the configuration and every audit file, and every table, column and type they name"
          + " against the targets' catalogs. Runs no audit query.",
      "Warnings (e.g. a reference whose type differs from its key's) are printed and do not"
          + " fail validation.",
      "Exit codes: 0 valid, 2 problems found, 3 a target could not be reached or its role cannot"
          + " read the tables of some audits (every run of them would fail)."
    })
final class ValidateCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--offline",
      description = "Check files only; do not connect to the targets (for CI without database).")
  boolean offline;

  @Option(
      names = "--require-owner",
      description =
          "Report every audit that names no owner (in the audit or its file's defaults) as a"
              + " problem: their alerts would reach no team.")
  boolean requireOwner;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    WorkerConfig workerConfig = config.load();
    // validate never needs the store: do not migrate or even open it
    try (Auditor auditor = Auditor.open(workerConfig.withoutStore(), Clock.systemUTC())) {
      AuditSet set = auditor.loadAudits();
      if (!set.problems().isEmpty()) {
        throw new ConfigException(set.problems());
      }
      List<Audit> audits = set.audits();
      if (requireOwner) {
        List<ConfigProblem> unowned = unowned(audits);
        if (!unowned.isEmpty()) {
          throw new ConfigException(unowned);
        }
      }
      // Warnings first: they stay relevant while the problems get fixed.
      workerConfig.warnings().forEach(w -> out.println(Redactor.redact(w.formatWarning())));
      if (offline) {
        out.printf(
            "%s in %s %s well-formed (catalog not checked: --offline)%s%n",
            Plural.of(audits.size(), "audit"),
            Plural.of(workerConfig.auditFiles().size(), "file"),
            audits.size() == 1 ? "is" : "are",
            warningCount(workerConfig.warnings().size()));
        return ExitCodes.CLEAN;
      }
      Auditor.Binding binding = auditor.bind(audits);
      List<ConfigProblem> warnings = new ArrayList<>(workerConfig.warnings());
      List<ConfigProblem> auditWarnings =
          binding.bound().stream().flatMap(b -> b.warnings().stream()).toList();
      // the configuration's were printed above
      auditWarnings.forEach(w -> out.println(Redactor.redact(w.formatWarning())));
      warnings.addAll(auditWarnings);
      int roleWarnings = 0;
      Set<String> cannotRead =
          audits.stream()
              .filter(audit -> binding.unreadable().contains(audit.id()))
              .map(Audit::target)
              .collect(Collectors.toSet());
      for (String target : binding.catalogs().keySet()) {
        try {
          RoleAccess access = auditor.targets().roleAccess(target);
          // a role that cannot read its tables and can write nothing: the GRANTs above are what
          // matters, and "could write" beside them is noise (newuser24/25); after them, this
          // warning comes with the ALTER ROLE to run
          Optional<String> warning =
              cannotRead.contains(target) && access.writesNothing()
                  ? Optional.empty()
                  : access.warning();
          if (warning.isPresent()) {
            out.println("warning: target " + target + ": " + warning.get());
            roleWarnings++;
          }
        } catch (SQLException e) {
          out.println("warning: target " + target + ": cannot check the role's privileges");
        }
      }
      if (!binding.problems().isEmpty()) {
        throw new ConfigException(binding.problems());
      }
      if (!binding.unavailable().isEmpty()) {
        binding.unavailable().values().stream()
            .map(e -> "[" + e.errorClass() + "] " + e.message())
            .distinct()
            .forEach(message -> System.err.println("error: " + message));
        return ExitCodes.COULD_NOT_RUN;
      }
      List<String> cannotRun =
          audits.stream().map(Audit::id).filter(binding.unreadable()::contains).toList();
      if (!cannotRun.isEmpty()) {
        // not "valid (1 warning)" with exit 0 (newuser24): a CI gate passed audits whose every
        // run fails; the grant is the database's business, so it stays a warning for serve
        System.err.println("error: " + cannotRun(cannotRun, audits.size()));
        return ExitCodes.COULD_NOT_RUN;
      }
      out.printf(
          "%s in %s %s valid against %s%s%n",
          Plural.of(audits.size(), "audit"),
          Plural.of(workerConfig.auditFiles().size(), "file"),
          audits.size() == 1 ? "is" : "are",
          Plural.of(binding.catalogs().size(), "target"),
          warningCount(warnings.size() + roleWarnings));
      return ExitCodes.CLEAN;
    }
  }

  private static String warningCount(int count) {
    return count == 0 ? "" : " (" + Plural.of(count, "warning") + ")";
  }

  /**
   * "every run of 2 of the 33 audits will fail (a, b): their roles cannot read their tables; ..."
   */
  static String cannotRun(List<String> ids, int auditCount) {
    int shown = Math.min(ids.size(), 5);
    String listed = String.join(", ", ids.subList(0, shown));
    if (ids.size() > shown) {
      listed += " and " + (ids.size() - shown) + " more";
    }
    boolean one = ids.size() == 1;
    String which =
        ids.size() < auditCount
            ? ids.size() + " of the " + Plural.of(auditCount, "audit")
            : auditCount == 1 ? "the audit" : "all " + auditCount + " audits";
    return "every run of "
        + which
        + " will fail ("
        + listed
        + "): "
        + (one ? "its role cannot read its tables" : "their roles cannot read their tables")
        + "; run the GRANTs given above, then validate again";
  }

  static List<ConfigProblem> unowned(List<Audit> audits) {
    return audits.stream()
        .filter(audit -> audit.owner().isEmpty())
        .map(
            audit ->
                new ConfigProblem(
                    audit.location(),
                    audit.id(),
                    "owner",
                    "no owner: name the team that answers for its alerts with 'owner:' in the"
                        + " audit or in the file's defaults (--require-owner)"))
        .toList();
  }
}
