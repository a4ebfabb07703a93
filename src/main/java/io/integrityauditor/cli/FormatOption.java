package io.integrityauditor.cli;

import picocli.CommandLine.Option;

/** {@code --format table|json}, shared by the commands that print results. */
final class FormatOption {
  @Option(
      names = "--format",
      defaultValue = "table",
      description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  OutputFormat format = OutputFormat.table;

  boolean json() {
    return format == OutputFormat.json;
  }
}
