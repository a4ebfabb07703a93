package io.integrityauditor.audit;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.MapNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jooq.Condition;

/**
 * One side of a reference: a table, its columns and an optional row filter. Written either as a
 * mapping ({@code {table: workflow_instances, columns: [config_version_id], where: {...}}}) or, for
 * one column, as {@code [schema.]table.column}.
 *
 * @param keyPath the key it was written under ({@code child}, {@code parent})
 * @param target the target (database) this side lives in when it is not the audit's: {@code
 *     target:} on a side of a reference (docs/audits.md, "References across databases")
 */
public record TableColumns(
    QualifiedName table,
    List<String> columns,
    Filter filter,
    String keyPath,
    Optional<String> target) {

  public TableColumns {
    columns = List.copyOf(columns);
  }

  /** A side in the audit's own target. */
  public TableColumns(QualifiedName table, List<String> columns, Filter filter, String keyPath) {
    this(table, columns, filter, keyPath, Optional.empty());
  }

  /** Reads {@code key}; reports problems and returns empty when it cannot be read. */
  public static Optional<TableColumns> parse(Fields fields, String key, boolean required) {
    return parse(fields, key, required, false);
  }

  /**
   * Reads one side of a reference, which may name its own {@code target:} (a table in another
   * database); the loader checks that the target exists.
   */
  public static Optional<TableColumns> parseSide(Fields fields, String key) {
    return parse(fields, key, true, true);
  }

  private static Optional<TableColumns> parse(
      Fields fields, String key, boolean required, boolean withTarget) {
    String keyPath = fields.keyPath(key);
    Optional<Node> node = fields.node(key);
    if (node.isEmpty()) {
      if (required) {
        fields.problem(key, "is required: give table and columns");
      }
      return Optional.empty();
    }
    if (!(node.get() instanceof MapNode)) {
      Optional<String> text = fields.string(key);
      if (text.isEmpty()) {
        return Optional.empty();
      }
      try {
        List<String> parts = QualifiedName.splitIdentifiers(text.get());
        if (parts.size() < 2 || parts.size() > 3) {
          fields.problem(
              key,
              "write [schema.]table.column, or a mapping with table and columns; found '"
                  + text.get()
                  + "'");
          return Optional.empty();
        }
        QualifiedName table =
            parts.size() == 2
                ? QualifiedName.of(null, parts.get(0))
                : QualifiedName.of(parts.get(0), parts.get(1));
        fields.shorthand(
            key,
            String.join(".", parts.subList(0, parts.size() - 1)),
            parts.get(parts.size() - 1),
            withTarget ? Set.of("where", "target") : Set.of("where"));
        return Optional.of(
            new TableColumns(table, List.of(parts.get(parts.size() - 1)), Filter.NONE, keyPath));
      } catch (IllegalArgumentException e) {
        fields.problem(key, e.getMessage());
        return Optional.empty();
      }
    }
    Fields side = fields.map(key).orElseThrow();
    Optional<QualifiedName> table = tableName(side, "table");
    List<String> columns = new ArrayList<>(side.stringList("columns"));
    if (side.has("column")) {
      if (!columns.isEmpty()) {
        side.problem("column", "set either column or columns, not both");
      }
      side.string("column").ifPresent(columns::add);
    }
    if (columns.isEmpty() && !side.has("columns") && !side.has("column")) {
      side.problem("columns", "is required: the column(s) of the reference");
    }
    Filter filter = Filter.parse(side, "where");
    Optional<String> target = withTarget ? side.string("target") : Optional.empty();
    side.rejectUnknown();
    return table.map(t -> new TableColumns(t, columns, filter, keyPath, target));
  }

  /** Reads a table name; reports a malformed one. */
  public static Optional<QualifiedName> tableName(Fields fields, String key) {
    Optional<String> text = fields.string(key);
    if (text.isEmpty()) {
      if (!fields.has(key)) {
        fields.problem(key, "is required");
      }
      return Optional.empty();
    }
    try {
      return Optional.of(QualifiedName.parse(text.get()));
    } catch (IllegalArgumentException e) {
      fields.problem(key, e.getMessage());
      return Optional.empty();
    }
  }

  /** Resolves against the catalog of its target: the table, each column, and the filter. */
  public Optional<Bound> bind(BindContext audit, String alias) {
    BindContext context = target.map(audit::on).orElse(audit);
    Optional<TableInfo> info = context.table(keyPath + ".table", table);
    if (info.isEmpty()) {
      return Optional.empty();
    }
    List<ColumnInfo> resolved = new ArrayList<>();
    boolean ok = true;
    for (String column : columns) {
      Optional<ColumnInfo> found = context.column(keyPath + ".columns", info.get(), column);
      found.ifPresent(resolved::add);
      ok &= found.isPresent();
    }
    Optional<Condition> condition = filter.bind(context, info.get(), alias);
    if (!filter.isEmpty() && condition.isEmpty()) {
      ok = false;
    }
    return ok
        ? Optional.of(new Bound(info.get(), resolved, condition, context.target()))
        : Optional.empty();
  }

  /**
   * A side resolved against the catalog.
   *
   * @param target the target whose catalog it was resolved in
   */
  public record Bound(
      TableInfo table, List<ColumnInfo> columns, Optional<Condition> filter, String target) {
    public Bound {
      columns = List.copyOf(columns);
    }

    public String describe() {
      return table.id().name()
          + "("
          + String.join(", ", columns.stream().map(ColumnInfo::name).toList())
          + ")";
    }
  }
}
