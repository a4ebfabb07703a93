package io.integrityauditor.catalog;

import java.util.List;

/**
 * An index.
 *
 * @param name index name
 * @param unique a unique index
 * @param partial has a WHERE predicate
 * @param columns key columns; empty when any key is an expression
 * @param definition a readable summary (not {@code pg_get_indexdef}, which locks the table)
 */
public record IndexInfo(
    String name, boolean unique, boolean partial, List<String> columns, String definition) {
  public IndexInfo {
    columns = List.copyOf(columns);
  }
}
