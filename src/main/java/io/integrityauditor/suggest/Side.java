package io.integrityauditor.suggest;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.List;
import java.util.stream.Collectors;

/** One side of a reference: a table and its columns, in key order. */
record Side(TableInfo table, List<ColumnInfo> columns) {
  Side {
    columns = List.copyOf(columns);
  }

  List<String> columnNames() {
    return columns.stream().map(ColumnInfo::name).toList();
  }

  /** {@code public.orders.customer_id}, {@code public.stage_approvals(a, b)}. */
  String describe() {
    if (columns.size() == 1) {
      return table.id() + "." + columns.get(0).name();
    }
    return table.id() + "(" + String.join(", ", columnNames()) + ")";
  }

  /** {@code integer}, {@code (text, integer)}. */
  String describeTypes() {
    String types = columns.stream().map(c -> c.type().declared()).collect(Collectors.joining(", "));
    return columns.size() == 1 ? types : "(" + types + ")";
  }
}
