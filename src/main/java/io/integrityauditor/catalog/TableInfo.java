package io.integrityauditor.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A relation that audits can read: a table, a partitioned table, a view, a materialized view or a
 * foreign table.
 *
 * @param id schema and name
 * @param kind what sort of relation
 * @param partitionOf the partitioned table this is a partition of, if it is one
 * @param estimatedRows {@code pg_class.reltuples}, -1 when never analysed
 * @param columns columns in attribute order
 * @param constraints declared constraints
 * @param indexes indexes
 * @param inheritedKey the primary key of the nearest table this one {@code INHERITS} from (not as a
 *     declarative partition), empty when there is none: partitioning before PostgreSQL 10 declared
 *     the key {@code ONLY} on the parent, so a child has none of its own
 * @param readable whether the role the catalog was read with may read it: {@code USAGE} on its
 *     schema and {@code SELECT} on it (or on some of its columns)
 * @param inheritsFrom the first table this one {@code INHERITS} from (not as a declarative
 *     partition), if any: a query of that table reads this one's rows too
 */
public record TableInfo(
    TableId id,
    Kind kind,
    Optional<TableId> partitionOf,
    long estimatedRows,
    List<ColumnInfo> columns,
    List<Constraint> constraints,
    List<IndexInfo> indexes,
    List<String> inheritedKey,
    boolean readable,
    Optional<TableId> inheritsFrom) {

  public TableInfo {
    columns = List.copyOf(columns);
    constraints = List.copyOf(constraints);
    indexes = List.copyOf(indexes);
    inheritedKey = List.copyOf(inheritedKey);
  }

  /** Relation kinds ({@code pg_class.relkind}). */
  public enum Kind {
    TABLE,
    PARTITIONED_TABLE,
    VIEW,
    MATERIALIZED_VIEW,
    FOREIGN_TABLE;

    static Kind fromCode(String code) {
      return switch (code) {
        case "r" -> TABLE;
        case "p" -> PARTITIONED_TABLE;
        case "v" -> VIEW;
        case "m" -> MATERIALIZED_VIEW;
        default -> FOREIGN_TABLE;
      };
    }
  }

  /** Exact match first, then a unique case-insensitive match. */
  public Optional<ColumnInfo> column(String name) {
    for (ColumnInfo column : columns) {
      if (column.name().equals(name)) {
        return Optional.of(column);
      }
    }
    List<ColumnInfo> folded =
        columns.stream().filter(c -> c.name().equalsIgnoreCase(name)).toList();
    return folded.size() == 1 ? Optional.of(folded.get(0)) : Optional.empty();
  }

  public List<String> columnNames() {
    return columns.stream().map(ColumnInfo::name).toList();
  }

  public Optional<Constraint> primaryKey() {
    return constraints.stream().filter(c -> c.type() == Constraint.Type.PRIMARY_KEY).findFirst();
  }

  public List<Constraint> foreignKeys() {
    return constraints.stream().filter(c -> c.type() == Constraint.Type.FOREIGN_KEY).toList();
  }

  /**
   * Column sets that are guaranteed unique: the primary key, unique constraints, and unique indexes
   * without a predicate or expressions.
   */
  public List<Set<String>> uniqueKeys() {
    List<Set<String>> keys = new ArrayList<>();
    for (Constraint constraint : constraints) {
      if (constraint.type() == Constraint.Type.PRIMARY_KEY
          || constraint.type() == Constraint.Type.UNIQUE) {
        keys.add(Set.copyOf(constraint.columns()));
      }
    }
    for (IndexInfo index : indexes) {
      if (index.unique() && !index.partial() && !index.columns().isEmpty()) {
        keys.add(Set.copyOf(index.columns()));
      }
    }
    return keys;
  }

  /** Whether rows are unique on {@code columns} (some unique key is a subset of them). */
  public boolean isUniqueOn(List<String> columnNames) {
    Set<String> given = Set.copyOf(columnNames);
    return uniqueKeys().stream().anyMatch(given::containsAll);
  }

  /**
   * Columns that identify a row for samples and key tracking: the primary key, else a unique key
   * (constraint, or unique index without a predicate or expressions) whose columns are all NOT
   * NULL, else the primary key of the table it inherits from, else the first unique constraint.
   * Without any, samples hold only the audit's own columns, and rows that share their values are
   * one key. A unique index counts because many tables (old dumps, ORMs) have one where a primary
   * key was never declared: without it, seven orphan rows of one customer were shown as one sample
   * key. The inherited key counts because inheritance partitioning declares the key on the parent
   * only: six orphan rows of one user in danbooru's {@code favorites_42} were one sample key, and a
   * seventh counted as persisting.
   */
  public List<String> identifyingColumns() {
    Optional<Constraint> pk = primaryKey();
    if (pk.isPresent()) {
      return pk.get().columns();
    }
    List<List<String>> unique = new ArrayList<>();
    constraints.stream()
        .filter(c -> c.type() == Constraint.Type.UNIQUE)
        .forEach(c -> unique.add(c.columns()));
    indexes.stream()
        .filter(i -> i.unique() && !i.partial() && !i.columns().isEmpty())
        .forEach(i -> unique.add(i.columns()));
    return unique.stream()
        .filter(
            key ->
                key.stream().allMatch(name -> column(name).map(ColumnInfo::notNull).orElse(false)))
        .findFirst()
        .or(() -> inheritedKey.isEmpty() ? Optional.empty() : Optional.of(inheritedKey))
        .or(
            () ->
                constraints.stream()
                    .filter(c -> c.type() == Constraint.Type.UNIQUE)
                    .map(Constraint::columns)
                    .findFirst())
        .orElse(List.of());
  }

  public boolean isPartition() {
    return partitionOf.isPresent();
  }

  public String describeColumns() {
    return columns.stream()
        .map(ColumnInfo::name)
        .map(n -> n.toLowerCase(Locale.ROOT).equals(n) ? n : '"' + n + '"')
        .collect(Collectors.joining(", "));
  }
}
