package io.integrityauditor.support;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs audit YAML against a database through the real loaders, binder, runner (and store). */
public final class Audits {
  private Audits() {}

  /** Results by audit id; configuration problems are thrown as {@link ConfigException}. */
  public static Map<String, AuditResult> run(
      Path directory, TestPostgres.Database target, TestPostgres.Database store, String auditYaml) {
    return run(directory, target, store, auditYaml, "");
  }

  /** The same, with extra worker configuration (e.g. a {@code retry:} section). */
  public static Map<String, AuditResult> run(
      Path directory,
      TestPostgres.Database target,
      TestPostgres.Database store,
      String auditYaml,
      String extraConfig) {
    return run(directory, target, store, auditYaml, extraConfig, Clock.systemUTC());
  }

  /** The same, the runs starting at {@code clock}'s time. */
  public static Map<String, AuditResult> run(
      Path directory,
      TestPostgres.Database target,
      TestPostgres.Database store,
      String auditYaml,
      String extraConfig,
      Clock clock) {
    return withBinding(directory, target, store, auditYaml, extraConfig, clock, Audits::runAllById);
  }

  /** The formatted warnings of binding {@code auditYaml} (problems are thrown). */
  public static List<String> warnings(
      Path directory, TestPostgres.Database target, String auditYaml) {
    return withBinding(
        directory,
        target,
        null,
        auditYaml,
        "",
        (auditor, binding, audits) ->
            binding.bound().stream()
                .flatMap(b -> b.warnings().stream())
                .map(ConfigProblem::formatWarning)
                .toList());
  }

  public static <T> T withBinding(
      Path directory,
      TestPostgres.Database target,
      TestPostgres.Database store,
      String auditYaml,
      String extraConfig,
      BindingAction<T> action) {
    return withBinding(directory, target, store, auditYaml, extraConfig, Clock.systemUTC(), action);
  }

  public static <T> T withBinding(
      Path directory,
      TestPostgres.Database target,
      TestPostgres.Database store,
      String auditYaml,
      String extraConfig,
      Clock clock,
      BindingAction<T> action) {
    Workspace workspace = new Workspace(directory);
    workspace.write("audits/test.yaml", auditYaml);
    return withConfig(workspace, workspace.config(target, store, extraConfig), clock, action);
  }

  /** Results by audit id of audits over several targets (by name), e.g. across databases. */
  public static Map<String, AuditResult> run(
      Path directory,
      Map<String, TestPostgres.Database> targets,
      TestPostgres.Database store,
      String auditYaml) {
    return withBinding(directory, targets, auditYaml, store, Audits::runAllById);
  }

  /** The same binding over several targets (by name). */
  public static <T> T withBinding(
      Path directory,
      Map<String, TestPostgres.Database> targets,
      String auditYaml,
      TestPostgres.Database store,
      BindingAction<T> action) {
    Workspace workspace = new Workspace(directory);
    workspace.write("audits/test.yaml", auditYaml);
    return withConfig(workspace, workspace.config(targets, store, ""), Clock.systemUTC(), action);
  }

  private static <T> T withConfig(
      Workspace workspace, Path config, Clock clock, BindingAction<T> action) {
    try (Auditor auditor = Auditor.open(workspace.load(config), clock)) {
      AuditSet set = auditor.loadAudits();
      if (!set.problems().isEmpty()) {
        throw new ConfigException(set.problems());
      }
      Auditor.Binding binding = auditor.bind(set.audits());
      if (!binding.problems().isEmpty()) {
        throw new ConfigException(binding.problems());
      }
      return action.apply(auditor, binding, set.audits());
    }
  }

  public static Map<String, AuditResult> run(
      Path directory, TestPostgres.Database target, String auditYaml) {
    return run(directory, target, null, auditYaml);
  }

  /** The formatted problems of loading and binding {@code auditYaml}; empty when valid. */
  public static List<String> problems(
      Path directory, TestPostgres.Database target, String auditYaml) {
    try {
      run(directory, target, auditYaml);
      return List.of();
    } catch (ConfigException e) {
      List<String> lines = new ArrayList<>();
      for (ConfigProblem problem : e.problems()) {
        lines.add(problem.format());
      }
      return lines;
    }
  }

  public interface BindingAction<T> {
    T apply(Auditor auditor, Auditor.Binding binding, List<Audit> audits);
  }

  /** Runs every bound audit once, as `check` does; results by audit id, in file order. */
  private static Map<String, AuditResult> runAllById(
      Auditor auditor, Auditor.Binding binding, List<Audit> audits) {
    Map<String, AuditResult> results = new LinkedHashMap<>();
    for (AuditResult result : auditor.runAll(binding, audits, RunTrigger.CHECK)) {
      results.put(result.audit().id(), result);
    }
    return results;
  }
}
