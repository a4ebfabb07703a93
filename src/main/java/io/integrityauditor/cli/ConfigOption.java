package io.integrityauditor.cli;

import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --config FILE}, shared by every command that needs the worker configuration. */
final class ConfigOption {
  static final String DEFAULT_FILE = "integrity-auditor.yaml";

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "Worker configuration file (default: $INTEGRITY_AUDITOR_CONFIG, else ./"
              + DEFAULT_FILE
              + ").")
  Path file;

  Path path() {
    if (file != null) {
      return file;
    }
    String fromEnvironment = System.getenv("INTEGRITY_AUDITOR_CONFIG");
    return Path.of(
        fromEnvironment != null && !fromEnvironment.isBlank() ? fromEnvironment : DEFAULT_FILE);
  }

  WorkerConfig load() {
    return new WorkerConfigLoader(Environment.system()).load(path());
  }
}
