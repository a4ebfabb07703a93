package io.integrityauditor.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The worker's configuration file, loaded and validated once by {@link WorkerConfigLoader}.
 *
 * @param file the file it was read from
 * @param nodeId this process's name in run history and in the Quartz cluster
 * @param store the worker's own database; absent for a store-less {@code check}
 * @param targets audited databases by name
 * @param auditFiles audit files, globs already expanded, sorted
 * @param auditPatterns the audit paths/globs as written, re-expanded on reload
 * @param scheduler {@code serve}'s scheduling settings
 * @param http the HTTP listener of {@code serve}
 * @param retention how long the store keeps runs and resolved alerts
 * @param retry how runs failing for a transient reason are retried
 * @param connectionBudget how many connections the worker opens to each audited server
 * @param warnings findings in the file that stop nothing (a password written into a JDBC URL):
 *     {@code validate} prints them
 */
public record WorkerConfig(
    Path file,
    String nodeId,
    Optional<DatabaseConfig> store,
    Map<String, TargetConfig> targets,
    List<Path> auditFiles,
    List<String> auditPatterns,
    SchedulerConfig scheduler,
    HttpConfig http,
    RetentionConfig retention,
    RetryPolicy retry,
    ConnectionBudget connectionBudget,
    List<ConfigProblem> warnings) {

  public WorkerConfig {
    targets = Map.copyOf(targets);
    warnings = List.copyOf(warnings);
    auditFiles = List.copyOf(auditFiles);
    auditPatterns = List.copyOf(auditPatterns);
  }

  /** The same configuration for commands that must not touch the store. */
  public WorkerConfig withoutStore() {
    return new WorkerConfig(
        file,
        nodeId,
        Optional.empty(),
        targets,
        auditFiles,
        auditPatterns,
        scheduler,
        http,
        retention,
        retry,
        connectionBudget,
        warnings);
  }
}
