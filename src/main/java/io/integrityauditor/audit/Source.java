package io.integrityauditor.audit;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.ScalarNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jooq.Condition;

/**
 * The table a single-table kind reads ({@code table:}) and its optional row filter ({@code where:},
 * or {@code when:} for {@code required_when}).
 *
 * @param filterKey the key path of the filter, for messages
 */
public record Source(QualifiedName table, Filter filter, String tableKey, String filterKey) {

  /**
   * Reads {@code table} and the filter under {@code filterKey}; empty when the table is unusable.
   */
  public static Optional<Source> parse(Fields fields, String filterKey) {
    if (!fields.has("table") && fields.has("column")) {
      // A common slip, since orphan audits accept `child: table.column`: say how to split it.
      Optional<String> column = fields.string("column").filter(c -> c.contains("."));
      if (column.isPresent()) {
        int dot = column.get().lastIndexOf('.');
        fields.problem(
            "table",
            "is required: this kind takes the table and the column separately; write table: "
                + column.get().substring(0, dot)
                + " and column: "
                + column.get().substring(dot + 1));
        return Optional.empty();
      }
    }
    Optional<QualifiedName> table = TableColumns.tableName(fields, "table");
    Filter filter = Filter.parse(fields, filterKey);
    return table.map(
        t -> new Source(t, filter, fields.keyPath("table"), fields.keyPath(filterKey)));
  }

  /**
   * The table and its filter resolved against the catalog.
   *
   * @param filterValid false when the filter had problems (reported); the spec goes on checking its
   *     own columns so that every problem is reported at once, then gives up
   */
  public record Bound(TableInfo table, Optional<Condition> filter, boolean filterValid) {}

  /** Empty when the table does not exist. */
  public Optional<Bound> bind(BindContext context, String alias) {
    Optional<TableInfo> info = context.table(tableKey, table);
    if (info.isEmpty()) {
      return Optional.empty();
    }
    Optional<Condition> condition = filter.bind(context, info.get(), alias);
    return Optional.of(new Bound(info.get(), condition, filter.isEmpty() || condition.isPresent()));
  }

  /**
   * Reads a list of column names under {@code key} (a single name is a list of one); reports an
   * empty list, nulls and duplicates.
   */
  public static List<String> columnList(Fields fields, String key, boolean required) {
    Optional<Node> node = fields.node(key);
    if (node.isEmpty()) {
      if (required && !fields.has(key)) {
        fields.problem(key, "is required: a list of column names");
      } else if (required) {
        fields.problem(key, "is empty: give at least one column name");
      }
      return List.of();
    }
    if (node.get() instanceof ListNode list) {
      for (Node item : list.items()) {
        if (!(item instanceof ScalarNode scalar) || scalar.isNull()) {
          fields.problem(key, "expected column names, found " + item.shape());
          return List.of();
        }
      }
      if (list.items().isEmpty()) {
        fields.problem(key, "is empty: give at least one column name");
        return List.of();
      }
    }
    List<String> names = fields.stringList(key);
    Set<String> seen = new HashSet<>();
    for (String name : names) {
      if (!seen.add(name)) {
        fields.problem(key, "column " + name + " is listed twice");
        return List.of();
      }
    }
    return names;
  }

  /** Resolves column names of {@code table}; empty when any does not exist (all are reported). */
  public static Optional<List<ColumnInfo>> columns(
      BindContext context, String keyPath, TableInfo table, List<String> names) {
    List<ColumnInfo> resolved = new ArrayList<>();
    boolean ok = true;
    for (String name : names) {
      Optional<ColumnInfo> column = context.column(keyPath, table, name);
      column.ifPresent(resolved::add);
      ok &= column.isPresent();
    }
    return ok ? Optional.of(resolved) : Optional.empty();
  }
}
