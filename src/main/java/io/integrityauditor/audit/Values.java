package io.integrityauditor.audit;

import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.catalog.ColumnInfo;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Values written in audit files (filters, accepted values, polymorphic type values), compared with
 * a column. Values travel as bind parameters cast to the column's own type on the server; enum
 * columns are compared by their text form instead, so that a value that is not (or no longer) an
 * enum label is simply "not equal" rather than a cast error that fails the whole run.
 */
public final class Values {
  private static final Pattern UUID =
      Pattern.compile("\\{?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}}?");
  private static final Set<String> BOOLEANS =
      Set.of("t", "f", "true", "false", "y", "n", "yes", "no", "on", "off", "1", "0");
  private static final Set<String> FLOAT_WORDS =
      Set.of("nan", "infinity", "-infinity", "+infinity", "inf", "-inf", "+inf");

  private Values() {}

  /**
   * Why {@code value} cannot be a value of {@code column}, for the types whose syntax is simple
   * enough to check before anything runs (integers, numbers, booleans, uuids); empty when it looks
   * fine or cannot be checked here (the server still casts it).
   */
  public static Optional<String> problem(ColumnInfo column, String table, String value) {
    String type = column.type().baseName();
    String expected =
        switch (type) {
          case "int2", "int4", "int8" -> integer(type, value) ? null : "a whole number";
          case "numeric" -> number(value) ? null : "a number";
          case "float4", "float8" ->
              number(value) || FLOAT_WORDS.contains(value.toLowerCase(Locale.ROOT))
                  ? null
                  : "a number";
          case "bool" -> BOOLEANS.contains(value.toLowerCase(Locale.ROOT)) ? null : "true or false";
          case "uuid" -> UUID.matcher(value).matches() ? null : "a uuid";
          default -> null;
        };
    if (expected == null) {
      return Optional.empty();
    }
    return Optional.of(
        "value '"
            + value
            + "' does not fit column "
            + table
            + "."
            + column.name()
            + " ("
            + column.type()
            + "): expected "
            + expected);
  }

  private static boolean integer(String type, String value) {
    try {
      long parsed = Long.parseLong(value.trim());
      return switch (type) {
        case "int2" -> parsed >= Short.MIN_VALUE && parsed <= Short.MAX_VALUE;
        case "int4" -> parsed >= Integer.MIN_VALUE && parsed <= Integer.MAX_VALUE;
        default -> true;
      };
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean number(String value) {
    try {
      new BigDecimal(value.trim());
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The column as it is compared with written values: itself, or its text form for enums. */
  static Field<Object> comparable(Field<Object> field, ColumnInfo column) {
    return column.type().isEnum() ? field.cast(SQLDataType.CLOB).coerce(Object.class) : field;
  }

  /** A written value as a bind parameter of the column's type (text for enums). */
  static Field<Object> literal(String value, ColumnInfo column) {
    return column.type().isEnum()
        ? DSL.val(value, SQLDataType.CLOB).coerce(Object.class)
        : QueryParts.typed(value, column);
  }

  public static Condition equal(Field<Object> field, ColumnInfo column, String value) {
    return comparable(field, column).eq(literal(value, column));
  }

  static Condition in(Field<Object> field, ColumnInfo column, List<String> values) {
    return comparable(field, column).in(values.stream().map(v -> literal(v, column)).toList());
  }

  public static Condition notIn(Field<Object> field, ColumnInfo column, List<String> values) {
    return comparable(field, column).notIn(values.stream().map(v -> literal(v, column)).toList());
  }
}
