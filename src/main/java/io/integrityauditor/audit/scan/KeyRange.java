package io.integrityauditor.audit.scan;

import io.integrityauditor.catalog.ColumnInfo;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * Range conditions on a column of a {@link RangeScan}'s driving table, with bounds written as text
 * and cast to the column's own type on the server (bind parameters, never SQL text).
 */
public final class KeyRange {
  private KeyRange() {}

  /** {@code lower <= column < upper}; an empty bound is open (all NULL-free keys that side). */
  public static Condition between(
      RangeScan scan, ColumnInfo column, Optional<String> lower, Optional<String> upper) {
    Field<Object> field = scan.column(column);
    Condition condition = DSL.noCondition();
    if (lower.isPresent()) {
      condition = condition.and(field.ge(QueryParts.typed(lower.get(), column)));
    }
    if (upper.isPresent()) {
      condition = condition.and(field.lt(QueryParts.typed(upper.get(), column)));
    }
    return condition;
  }

  /** {@code after < column <= upTo}: the rows an incremental run checks. */
  public static Condition afterUpTo(
      RangeScan scan, ColumnInfo column, Optional<String> after, String upTo) {
    Field<Object> field = scan.column(column);
    Condition condition = field.le(QueryParts.typed(upTo, column));
    if (after.isPresent()) {
      condition = field.gt(QueryParts.typed(after.get(), column)).and(condition);
    }
    return condition;
  }

  /**
   * {@code column <= upTo OR column IS NULL}: the rows a full sweep of an incremental audit covers
   * when its chunks run in several snapshots (later rows are left to the next incremental run).
   */
  public static Condition upTo(RangeScan scan, ColumnInfo column, Optional<String> upTo) {
    if (upTo.isEmpty()) {
      return scan.column(column).isNull();
    }
    Field<Object> field = scan.column(column);
    return field.le(QueryParts.typed(upTo.get(), column)).or(field.isNull());
  }
}
