package io.integrityauditor.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A declared constraint.
 *
 * @param name constraint name
 * @param type primary key, unique, foreign key or check
 * @param columns the constrained columns, in key order
 * @param referencedTable for foreign keys, the referenced table
 * @param referencedColumns for foreign keys, the referenced columns in key order
 * @param definition {@code pg_get_constraintdef} for keys and foreign keys; {@code CHECK (...)} or
 *     {@code EXCLUDE (...)} otherwise (deparsing those expressions would wait behind table locks)
 */
public record Constraint(
    String name,
    Type type,
    List<String> columns,
    Optional<TableId> referencedTable,
    List<String> referencedColumns,
    String definition) {

  public Constraint {
    columns = List.copyOf(columns);
    referencedColumns = List.copyOf(referencedColumns);
  }

  /** Kinds of constraints the auditor reads. */
  public enum Type {
    PRIMARY_KEY,
    UNIQUE,
    FOREIGN_KEY,
    CHECK,
    EXCLUSION;

    static Type fromCode(String code) {
      return switch (code) {
        case "p" -> PRIMARY_KEY;
        case "u" -> UNIQUE;
        case "f" -> FOREIGN_KEY;
        case "c" -> CHECK;
        default -> EXCLUSION;
      };
    }
  }
}
