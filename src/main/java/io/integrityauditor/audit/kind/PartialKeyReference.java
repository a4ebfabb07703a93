package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A reference to part of a composite key whose other columns the child has too: in a multi-tenant
 * schema ({@code auth.users} keyed {@code (id, instance_id)}, ids unique per instance only) the
 * reference {@code tokens.user_id -> users.id} finds a parent whenever any tenant has that id, so a
 * token pointing into another tenant, or at a user deleted from its own tenant whose id another
 * tenant reuses, is not seen (newuser22: 0 orphans found where 7 tokens had no user in their
 * instance). A warning, not a problem: "exists in some tenant" can be what the audit means.
 */
final class PartialKeyReference {
  private PartialKeyReference() {}

  /**
   * Warns at {@code keyPath} when {@code parent}'s columns are part of a key the child can join.
   */
  static void warn(
      BindContext context, String keyPath, TableColumns.Bound child, TableColumns.Bound parent) {
    warn(context, keyPath, child, parent, false);
  }

  /**
   * @param polymorphic the child is a polymorphic audit's table: its columns are {@code id_columns}
   */
  static void warn(
      BindContext context,
      String keyPath,
      TableColumns.Bound child,
      TableColumns.Bound parent,
      boolean polymorphic) {
    List<String> parentColumns = names(parent.columns());
    TableInfo table = parent.table();
    if (table.isUniqueOn(parentColumns)) {
      return;
    }
    Optional<List<String>> missing =
        keys(table).stream()
            .filter(key -> key.containsAll(parentColumns))
            .map(key -> key.stream().filter(column -> !parentColumns.contains(column)).toList())
            .filter(extra -> !extra.isEmpty())
            .filter(extra -> extra.stream().allMatch(c -> child.table().column(c).isPresent()))
            .filter(extra -> extra.stream().noneMatch(names(child.columns())::contains))
            .findFirst();
    if (missing.isEmpty()) {
      return;
    }
    List<String> extra = missing.get();
    List<String> key = new ArrayList<>(parentColumns);
    key.addAll(extra);
    List<String> childBoth = new ArrayList<>(extra);
    childBoth.addAll(names(child.columns()));
    List<String> parentBoth = new ArrayList<>(extra);
    parentBoth.addAll(parentColumns);
    String tenant = String.join(", ", extra);
    context.warning(
        keyPath,
        table.id()
            + "("
            + String.join(", ", parentColumns)
            + ") is not unique (its key is ("
            + String.join(", ", key)
            + ")) and "
            + child.table().id()
            + " has "
            + tenant
            + " too: a row counts as found when any "
            + tenant
            + " has that "
            + String.join(", ", parentColumns)
            + ", so a reference into another "
            + tenant
            + " is not seen. If the reference stays within its "
            + tenant
            + ", write both: "
            + (polymorphic
                ? "id_columns: [" + String.join(", ", childBoth) + "]"
                : "child: {table: "
                    + child.table().id()
                    + ", columns: ["
                    + String.join(", ", childBoth)
                    + "]}")
            + ", parent: {table: "
            + table.id()
            + ", columns: ["
            + String.join(", ", parentBoth)
            + "]}");
  }

  /** The table's unique keys, each in the table's column order (the primary key first). */
  private static List<List<String>> keys(TableInfo table) {
    List<List<String>> keys = new ArrayList<>();
    table.primaryKey().ifPresent(pk -> keys.add(List.copyOf(pk.columns())));
    for (Set<String> key : table.uniqueKeys()) {
      List<String> ordered = table.columnNames().stream().filter(key::contains).toList();
      if (!keys.contains(ordered)
          && keys.stream().noneMatch(k -> Set.copyOf(k).equals(Set.copyOf(ordered)))) {
        keys.add(ordered);
      }
    }
    return keys;
  }

  private static List<String> names(List<ColumnInfo> columns) {
    return columns.stream().map(ColumnInfo::name).toList();
  }
}
