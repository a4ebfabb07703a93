package io.integrityauditor.catalog;

import io.integrityauditor.config.Suggest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * An immutable snapshot of a target database's catalog.
 *
 * @param tables every readable relation outside the system schemas
 * @param searchPath the schemas unqualified names resolve in, in order: the configured search path,
 *     with the schemas the role may not use (their tables resolve, and are not readable)
 * @param extensions installed extensions and their versions
 * @param serverVersion {@code server_version_num}, e.g. 180001
 * @param role the role it was read with ({@code current_user}): the audits' role, named in the
 *     grants a table it cannot read needs
 */
public record Catalog(
    SortedMap<TableId, TableInfo> tables,
    List<String> searchPath,
    Map<String, String> extensions,
    int serverVersion,
    String role) {

  public Catalog {
    tables = Collections.unmodifiableSortedMap(new TreeMap<>(tables));
    searchPath = List.copyOf(searchPath);
    extensions = Map.copyOf(extensions);
  }

  /**
   * This catalog as one schema-per-tenant member sees it: only the tables of the schemas kept, and
   * another search path. One read of a database's catalog then serves every tenant of it, and no
   * member's audit resolves (or is suggested) a table of another tenant.
   */
  public Catalog view(List<String> searchPath, Predicate<String> schemaKept) {
    SortedMap<TableId, TableInfo> kept = new TreeMap<>();
    // the tables come sorted by schema: one test per schema, not per table
    String schema = null;
    boolean keep = false;
    for (Map.Entry<TableId, TableInfo> entry : tables.entrySet()) {
      if (!entry.getKey().schema().equals(schema)) {
        schema = entry.getKey().schema();
        keep = schemaKept.test(schema);
      }
      if (keep) {
        kept.put(entry.getKey(), entry.getValue());
      }
    }
    return new Catalog(kept, searchPath, extensions, serverVersion, role);
  }

  public Optional<TableInfo> table(TableId id) {
    return Optional.ofNullable(tables.get(id));
  }

  public Collection<TableInfo> allTables() {
    return tables.values();
  }

  /**
   * Resolves a name as PostgreSQL would, with one convenience: when no exact match exists, a unique
   * case-insensitive match is taken (so {@code WorkflowInstance} and {@code workflowinstance} both
   * find a Prisma-style {@code "WorkflowInstance"} table).
   */
  public Resolution resolve(QualifiedName name) {
    List<String> schemas =
        name.schema().map(s -> resolveSchema(s).map(List::of).orElse(List.of())).orElse(searchPath);
    if (name.schema().isPresent() && schemas.isEmpty()) {
      return new Resolution(
          Optional.empty(),
          "schema "
              + name.schema().get()
              + " does not exist"
              + Suggest.didYouMean(name.schema().get(), schemaNames()));
    }
    for (String schema : schemas) {
      TableInfo exact = tables.get(new TableId(schema, name.name()));
      if (exact != null) {
        return new Resolution(Optional.of(exact), null);
      }
    }
    List<TableInfo> folded = new ArrayList<>();
    for (String schema : schemas) {
      for (TableInfo table : tables.values()) {
        if (table.id().schema().equals(schema) && table.id().name().equalsIgnoreCase(name.name())) {
          folded.add(table);
        }
      }
      if (!folded.isEmpty()) {
        break;
      }
    }
    if (folded.size() == 1) {
      return new Resolution(Optional.of(folded.get(0)), null);
    }
    if (folded.size() > 1) {
      return new Resolution(
          Optional.empty(),
          "table "
              + name
              + " is ambiguous: "
              + folded.stream().map(t -> t.id().toString()).toList()
              + " differ only in case; write the exact name");
    }
    List<String> candidates =
        tables.keySet().stream()
            .filter(id -> schemas.contains(id.schema()))
            .map(id -> name.schema().isPresent() ? id.toString() : id.name())
            .toList();
    String where =
        name.schema().isPresent()
            ? ""
            : " in the search path (" + String.join(", ", searchPath) + ")";
    // the same name in a schema off the search path (Temporal's tables in schema temporal)
    List<String> elsewhere =
        name.schema().isPresent()
            ? List.of()
            : tables.keySet().stream()
                .filter(id -> !schemas.contains(id.schema()))
                .filter(id -> id.name().equalsIgnoreCase(name.name()))
                .map(TableId::toString)
                .toList();
    return new Resolution(
        Optional.empty(),
        "table "
            + name
            + " does not exist"
            + where
            + (elsewhere.isEmpty()
                ? Suggest.didYouMean(name.toString(), candidates)
                : "; "
                    + String.join(", ", elsewhere)
                    + (elsewhere.size() == 1 ? " does" : " do")
                    + ": write the table with its schema"));
  }

  private Optional<String> resolveSchema(String schema) {
    List<String> names = schemaNames();
    if (names.contains(schema)) {
      return Optional.of(schema);
    }
    List<String> folded = names.stream().filter(s -> s.equalsIgnoreCase(schema)).toList();
    return folded.size() == 1 ? Optional.of(folded.get(0)) : Optional.empty();
  }

  public List<String> schemaNames() {
    return tables.keySet().stream().map(TableId::schema).distinct().toList();
  }

  /** A name lookup: the table, or why there is none (with a suggestion when one is close). */
  public record Resolution(Optional<TableInfo> table, String problem) {}
}
