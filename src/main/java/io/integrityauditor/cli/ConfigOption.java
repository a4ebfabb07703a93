package io.integrityauditor.cli;

import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import java.nio.file.Files;
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
    return load(new WorkerConfigLoader(Environment.system()));
  }

  /**
   * For a command that opens no HTTP listener: the listener's token need not be in its environment
   * ({@link WorkerConfigLoader#withoutServing}).
   */
  WorkerConfig loadWithoutServing() {
    return load(new WorkerConfigLoader(Environment.system()).withoutServing());
  }

  private WorkerConfig load(WorkerConfigLoader loader) {
    Path path = path();
    if (!Files.exists(path)) {
      throw new ConfigException(
          new ConfigProblem(
              Location.of(path, 0),
              null,
              null,
              "file does not exist (looked for "
                  + path.toAbsolutePath().normalize()
                  + ", "
                  + origin()
                  + "); point at your configuration with --config FILE or"
                  + " INTEGRITY_AUDITOR_CONFIG=FILE"));
    }
    return loader.load(path);
  }

  /** Where {@link #path()} came from, for the message when it does not exist. */
  private String origin() {
    if (file != null) {
      return "given by --config";
    }
    String fromEnvironment = System.getenv("INTEGRITY_AUDITOR_CONFIG");
    return fromEnvironment != null && !fromEnvironment.isBlank()
        ? "named by $INTEGRITY_AUDITOR_CONFIG"
        : "the default when neither --config nor $INTEGRITY_AUDITOR_CONFIG is given";
  }
}
