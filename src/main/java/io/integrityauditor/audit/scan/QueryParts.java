package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** jOOQ building blocks shared by the kinds; every name is a quoted name from the catalog. */
public final class QueryParts {
  private QueryParts() {}

  public static Table<?> table(TableInfo table, String alias) {
    return DSL.table(DSL.name(table.id().schema(), table.id().name())).as(alias);
  }

  public static Field<Object> field(String alias, ColumnInfo column) {
    return DSL.field(DSL.name(alias, column.name()));
  }

  /**
   * A column shown in samples, typed as a number when it is one (category N), so that samples sort
   * by value (34 before 221) and not as text.
   */
  public static Field<?> sampleField(String alias, ColumnInfo column) {
    return column.type().category() == 'N'
        ? DSL.field(DSL.name(alias, column.name()), SQLDataType.NUMERIC)
        : field(alias, column);
  }

  public static List<Field<Object>> fields(String alias, List<ColumnInfo> columns) {
    return columns.stream().map(column -> field(alias, column)).toList();
  }

  /**
   * Sample columns: the table's primary key (else first unique key), then {@code extra} columns not
   * already in it.
   */
  public static Map<String, Field<?>> samples(
      TableInfo table, String alias, List<ColumnInfo> extra) {
    Map<String, Field<?>> samples = new LinkedHashMap<>();
    for (String key : table.identifyingColumns()) {
      samples.put(
          key,
          table
              .column(key)
              .<Field<?>>map(column -> sampleField(alias, column))
              .orElseGet(() -> DSL.field(DSL.name(alias, key))));
    }
    for (ColumnInfo column : extra) {
      samples.putIfAbsent(column.name(), sampleField(alias, column));
    }
    return samples;
  }

  /** The {@code schema.table} names of the relations a query reads, for error messages. */
  public static List<String> relations(TableInfo... tables) {
    return Arrays.stream(tables).map(t -> t.id().toString()).distinct().toList();
  }

  /**
   * A bind value cast to the column's own (base) type on the server: {@code cast(? as
   * "pg_catalog"."uuid")}. The type name comes from the catalog and is rendered as a quoted name.
   */
  public static Field<Object> typed(String value, ColumnInfo column) {
    return DSL.field(
        "cast({0} as {1})",
        Object.class,
        DSL.val(value, SQLDataType.VARCHAR),
        DSL.name(column.type().baseSchema(), column.type().baseName()));
  }
}
