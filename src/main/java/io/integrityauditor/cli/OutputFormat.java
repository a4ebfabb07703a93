package io.integrityauditor.cli;

/** {@code --format}: a readable table, or the JSON contract. */
enum OutputFormat {
  table,
  json
}
