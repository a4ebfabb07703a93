package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.Severity;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.Suggest;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    mixinStandardHelpOptions = true,
    name = "check",
    description = {
      "Run audits once, now, and print what they found.",
      "Exit codes: 0 clean, 1 violations at/above --fail-on, 2 configuration error,"
          + " 3 an audit could not run."
    })
final class CheckCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--audit",
      paramLabel = "ID",
      description = "Run only this audit (repeatable). Default: all audits.")
  List<String> auditIds = new ArrayList<>();

  @Option(
      names = "--tenant",
      paramLabel = "TENANT",
      description =
          "Run only the audits of this tenant of the templates (repeatable; with --audit ID, the"
              + " audit ID@TENANT). Default: every tenant.")
  List<String> tenants = new ArrayList<>();

  @Mixin FormatOption output;

  @Option(
      names = "--fail-on",
      defaultValue = "warn",
      paramLabel = "SEVERITY",
      description = "Exit 1 when an audit of this severity or worse breaches: warn, critical.")
  String failOn;

  PrintStream out = System.out;
  PrintStream err = System.err;

  /** {@code --audit ID --tenant T} selects the audit {@code ID@T}. */
  private static List<String> withTenants(List<String> ids, List<String> tenants) {
    if (tenants.isEmpty()) {
      return ids;
    }
    List<String> expanded = new ArrayList<>();
    for (String id : ids) {
      for (String tenant : tenants) {
        expanded.add(id + TargetConfig.TENANT_SEPARATOR + tenant);
      }
    }
    return expanded;
  }

  /** The audits of the given tenants; a tenant no template has is a configuration error. */
  private static List<Audit> ofTenants(
      List<Audit> audits, List<String> tenants, Map<String, List<String>> known) {
    List<String> all = known.values().stream().flatMap(List::stream).distinct().sorted().toList();
    for (String tenant : tenants) {
      if (!all.contains(tenant)) {
        throw new ConfigException(
            new ConfigProblem(
                new Location("command line", 0),
                null,
                "--tenant",
                "no template has a tenant '"
                    + tenant
                    + "'"
                    + Suggest.didYouMean(tenant, all)
                    + (all.isEmpty()
                        ? "; no target is a template (databases: or schemas:)"
                        : "; " + Plural.of(all.size(), "tenant") + " known")));
      }
    }
    return audits.stream()
        .filter(
            a ->
                a.target().contains(TargetConfig.TENANT_SEPARATOR)
                    && tenants.contains(
                        a.target()
                            .substring(a.target().indexOf(TargetConfig.TENANT_SEPARATOR) + 1)))
        .toList();
  }

  @Override
  public Integer call() {
    Severity failOnSeverity = severity(failOn);
    WorkerConfig workerConfig = config.loadWithoutServing();
    try (Auditor auditor = Auditor.open(workerConfig, Clock.systemUTC())) {
      List<Audit> selected = selectValid(auditor, withTenants(auditIds, tenants));
      if (!tenants.isEmpty() && auditIds.isEmpty()) {
        selected = ofTenants(selected, tenants, auditor.lastDiscovery().tenants());
      }
      Auditor.Binding binding = auditor.bind(selected);
      if (!binding.problems().isEmpty()) {
        throw new ConfigException(binding.problems());
      }
      List<AuditResult> results = auditor.runAll(binding, selected, RunTrigger.CHECK);
      out.print(output.json() ? ResultReport.json(results) + "\n" : ResultReport.table(results));
      // a template whose tenants could not be listed: its audits could not run
      auditor
          .lastDiscovery()
          .failures()
          .forEach(
              (template, message) ->
                  err.println("template " + template + ": cannot list its tenants: " + message));
      int code = ResultReport.exitCode(results, failOnSeverity);
      return auditor.lastDiscovery().failures().isEmpty()
          ? code
          : Math.max(code, ExitCodes.COULD_NOT_RUN);
    }
  }

  /** Loads the audit files; any problem, or an unknown --audit id, is a configuration error. */
  static List<Audit> selectValid(Auditor auditor, List<String> ids) {
    return selectValid(auditor, ids, "--audit");
  }

  /**
   * The same, naming where the ids came from in the problem: an option ({@code --audit}, shown as
   * its key) or a positional argument ({@code AUDIT_ID}, which is no key).
   */
  static List<Audit> selectValid(Auditor auditor, List<String> ids, String givenBy) {
    boolean option = givenBy.startsWith("-");
    AuditSet set = auditor.loadAudits();
    if (!set.problems().isEmpty()) {
      throw new ConfigException(set.problems());
    }
    if (ids.isEmpty()) {
      return set.audits();
    }
    List<Audit> selected = new ArrayList<>();
    List<ConfigProblem> unknown = new ArrayList<>();
    List<String> known = set.audits().stream().map(Audit::id).toList();
    for (String id : ids) {
      set.find(id)
          .ifPresentOrElse(
              selected::add,
              () ->
                  unknown.add(
                      new ConfigProblem(
                          new Location("command line", 0),
                          null,
                          option ? givenBy : null,
                          (option ? "" : "argument " + givenBy + ": ")
                              + "no audit has id '"
                              + id
                              + "'"
                              + Suggest.didYouMean(id, known))));
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException(unknown);
    }
    return selected;
  }

  static Severity severity(String label) {
    if (!Severity.NAMES.contains(label)) {
      throw new ConfigException(
          new ConfigProblem(
              new Location("command line", 0),
              null,
              "--fail-on",
              "must be warn or critical, found '" + label + "'"));
    }
    return Severity.fromLabel(label);
  }
}
