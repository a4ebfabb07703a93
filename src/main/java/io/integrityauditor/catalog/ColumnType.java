package io.integrityauditor.catalog;

import java.util.Set;

/**
 * A column's type. Domains are looked through: {@code baseSchema}/{@code baseName} is the type that
 * values are compared as, {@code declared} is what {@code format_type} prints.
 *
 * @param declared e.g. {@code character varying(64)}, {@code my_domain}
 * @param baseSchema schema of the base type (usually {@code pg_catalog})
 * @param baseName internal name of the base type ({@code int4}, {@code text}, {@code uuid})
 * @param category {@code pg_type.typcategory} of the base type (N numeric, S string, U user...)
 * @param isEnum the base type is an enum
 */
public record ColumnType(
    String declared, String baseSchema, String baseName, char category, boolean isEnum) {

  private static final Set<String> INTEGERS = Set.of("int2", "int4", "int8");
  private static final Set<String> EXACT_NUMBERS = Set.of("int2", "int4", "int8", "numeric");
  private static final Set<String> STRINGS = Set.of("text", "varchar", "bpchar", "name", "citext");

  /**
   * Whether an equality between values of these two types means what a foreign key means: same
   * type, or both integers (int/bigint), exact numbers, or character strings. {@code text} vs
   * {@code uuid} is not comparable: PostgreSQL would reject the join, and a reference stored with a
   * different type than its key is the type-alignment problem the audits report.
   */
  public boolean comparableWith(ColumnType other) {
    if (baseSchema.equals(other.baseSchema) && baseName.equals(other.baseName)) {
      return true;
    }
    if (INTEGERS.contains(baseName) && INTEGERS.contains(other.baseName)) {
      return true;
    }
    if (EXACT_NUMBERS.contains(baseName) && EXACT_NUMBERS.contains(other.baseName)) {
      return true;
    }
    return STRINGS.contains(baseName) && STRINGS.contains(other.baseName);
  }

  /** Identical base type: what a declared foreign key would require for index-friendly joins. */
  public boolean sameAs(ColumnType other) {
    return baseSchema.equals(other.baseSchema) && baseName.equals(other.baseName);
  }

  public boolean isString() {
    return STRINGS.contains(baseName) || category == 'S';
  }

  public boolean isInteger() {
    return INTEGERS.contains(baseName);
  }

  @Override
  public String toString() {
    return declared;
  }
}
