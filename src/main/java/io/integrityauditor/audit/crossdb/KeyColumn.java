package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.ColumnType;
import io.integrityauditor.catalog.IndexInfo;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * How one child column and its parent column are compared when they live in two databases, so that
 * both servers sort them exactly as the worker compares them (the documented rule, docs/audits.md):
 *
 * <ul>
 *   <li>both integers (smallint, integer, bigint, in any mix): by value, each server sorting its
 *       own column natively (an index on it gives the order);
 *   <li>both exact numbers (numeric with an integer, or numeric): by value;
 *   <li>both uuid: natively, which is the byte order of their text forms;
 *   <li>anything else (text, varchar, uuid against text, dates, ...): the values' text forms, byte
 *       by byte (the "C" collation on both servers, code point order in the worker); with a text
 *       column's own collation an index only gives that order when it is {@code COLLATE "C"}.
 * </ul>
 *
 * @param child the child's column
 * @param parent the parent's column
 */
record KeyColumn(ColumnInfo child, ColumnInfo parent, Comparison comparison) {

  /** The four ways a pair is compared. */
  enum Comparison {
    INTEGER,
    NUMBER,
    UUID,
    TEXT
  }

  /**
   * @param asText by the text forms whatever the types ({@code compare_as: text})
   */
  static KeyColumn of(ColumnInfo child, ColumnInfo parent, boolean asText) {
    ColumnType c = child.type();
    ColumnType p = parent.type();
    Comparison comparison;
    if (asText) {
      comparison = Comparison.TEXT;
    } else if (c.isInteger() && p.isInteger()) {
      comparison = Comparison.INTEGER;
    } else if (isExactNumber(c) && isExactNumber(p)) {
      comparison = Comparison.NUMBER;
    } else if (isUuid(c) && isUuid(p)) {
      comparison = Comparison.UUID;
    } else {
      comparison = Comparison.TEXT;
    }
    return new KeyColumn(child, parent, comparison);
  }

  private static boolean isExactNumber(ColumnType type) {
    return type.isInteger() || type.baseName().equals("numeric");
  }

  private static boolean isUuid(ColumnType type) {
    return type.baseName().equals("uuid") && type.baseSchema().equals("pg_catalog");
  }

  /** What a side's statement selects and sorts by for {@code column} (alias {@code alias}). */
  Field<?> ordered(String alias, ColumnInfo column) {
    Field<Object> field = QueryParts.field(alias, column);
    // numbers and uuids sort natively (by value, whatever their width): an index gives the order
    return comparison == Comparison.TEXT ? textForm(field, column.type()) : field;
  }

  /**
   * A hash of a value's text form (in "C", so that no collation changes it), the same on every
   * server of one byte order: what a stream may be sorted by before the key (MergeScan).
   */
  static Field<Long> orderHash(Field<?> value) {
    return textHash(
        value.cast(SQLDataType.CLOB).collate(DSL.collation(DSL.name("C"))).coerce(String.class));
  }

  /** PostgreSQL's 64-bit hash of a text (the one hash partitioning uses), seed 0. */
  static Field<Long> textHash(Field<String> text) {
    return DSL.function("hashtextextended", Long.class, text, DSL.inline(0L));
  }

  /**
   * The text form in code point order. A uuid's native order is its text form's, so a uuid column
   * is sorted natively (its index gives the order); a text or varchar column sorts in "C".
   */
  private static Field<?> textForm(Field<Object> field, ColumnType type) {
    if (isUuid(type)) {
      return field;
    }
    Field<?> text =
        type.baseName().equals("text") || type.baseName().equals("varchar")
            ? field
            : field.cast(SQLDataType.CLOB);
    return text.collate(DSL.collation(DSL.name("C")));
  }

  /**
   * {@code lower <= column < upper} on a side ({@code column} is that side's), in the order the
   * merge compares: a chunked run's key range, the same on both servers. An empty bound is open.
   */
  Condition range(String alias, ColumnInfo column, Optional<String> lower, Optional<String> upper) {
    Field<Object> field = QueryParts.field(alias, column);
    Field<Object> value =
        comparison == Comparison.TEXT
            // by the text form in "C" order, also for a uuid (its native order is the same, but a
            // bound from the other side need not be a uuid)
            ? field
                .cast(SQLDataType.CLOB)
                .collate(DSL.collation(DSL.name("C")))
                .coerce(Object.class)
            : field;
    Condition condition = DSL.noCondition();
    if (lower.isPresent()) {
      condition = condition.and(value.ge(bound(lower.get())));
    }
    if (upper.isPresent()) {
      condition = condition.and(value.lt(bound(upper.get())));
    }
    return condition;
  }

  /**
   * Whether {@code index} of the child answers {@link #range} on the child's side: its first column
   * is this one and, when compared by text, it is in "C" order (an index in any other collation
   * cannot give byte-wise ranges).
   */
  boolean rangeUses(IndexInfo index) {
    if (index.partial()
        || index.columns().isEmpty()
        || !index.columns().get(0).equals(child.name())) {
      return false;
    }
    return comparison != Comparison.TEXT || index.definition().contains("COLLATE \"C\"");
  }

  /** A range bound, written as text, typed for the comparison (a bind value, never SQL text). */
  private Field<Object> bound(String text) {
    Field<String> value = DSL.val(text, SQLDataType.CLOB);
    return switch (comparison) {
      case INTEGER -> value.cast(SQLDataType.BIGINT).coerce(Object.class);
      case NUMBER -> value.cast(SQLDataType.NUMERIC).coerce(Object.class);
      case UUID -> value.cast(SQLDataType.UUID).coerce(Object.class);
      case TEXT -> value.coerce(Object.class);
    };
  }

  /** A value written as text (a range bound, a stream's column), to sort or compare it. */
  Object parse(String text) {
    return switch (comparison) {
      case INTEGER -> Long.parseLong(text);
      case NUMBER -> new BigDecimal(text);
      case UUID, TEXT -> text;
    };
  }

  /**
   * This column's value from its text form in a side's stream (null for SQL NULL), as {@link
   * #compare} compares it.
   */
  Object value(String text) {
    return text == null ? null : parse(text);
  }

  /** Compares two non-null values read by {@link #value}, in the order both servers sort them. */
  int compare(Object a, Object b) {
    return switch (comparison) {
      case INTEGER -> Long.compare((Long) a, (Long) b);
      case NUMBER -> ((BigDecimal) a).compareTo((BigDecimal) b);
      case UUID, TEXT -> compareCodePoints((String) a, (String) b);
    };
  }

  /** Compares two keys of {@code columns} column by column, in the order both servers sort them. */
  static int compare(List<KeyColumn> columns, Object[] a, Object[] b) {
    for (int k = 0; k < columns.size(); k++) {
      int order = columns.get(k).compare(a[k], b[k]);
      if (order != 0) {
        return order;
      }
    }
    return 0;
  }

  /** A value as text: what the re-check sends to the parent's server. */
  static String text(Object value) {
    if (value == null) {
      return null;
    }
    return value instanceof BigDecimal number ? number.toPlainString() : value.toString();
  }

  /**
   * The re-check's equality on the parent's server between the parent's column and a child value
   * sent as text ({@code value}), written so that the parent's index can answer it.
   */
  Condition matches(Field<Object> parentColumn, Field<String> value) {
    return switch (comparison) {
      case INTEGER -> parentColumn.eq(value.cast(SQLDataType.BIGINT).coerce(Object.class));
      case NUMBER -> parentColumn.eq(value.cast(SQLDataType.NUMERIC).coerce(Object.class));
      case UUID -> parentColumn.eq(value.cast(SQLDataType.UUID).coerce(Object.class));
      case TEXT -> textMatches(parentColumn, value);
    };
  }

  /**
   * The rows statement's equality on the child's server: the child's column, in the form its key
   * stream selected ({@link #ordered}), against a value of that stream sent back as text; by the
   * same rule the stream grouped by, so that it finds exactly the rows each group counted.
   */
  Condition childMatches(String alias, Field<String> value) {
    Field<Object> ordered = ordered(alias, child).coerce(Object.class);
    return switch (comparison) {
      case INTEGER -> ordered.eq(value.cast(SQLDataType.BIGINT).coerce(Object.class));
      case NUMBER -> ordered.eq(value.cast(SQLDataType.NUMERIC).coerce(Object.class));
      case UUID -> ordered.eq(value.cast(SQLDataType.UUID).coerce(Object.class));
      // a uuid column is streamed natively (its text form's order), any other as text in "C"
      case TEXT ->
          isUuid(child.type())
              ? ordered.eq(value.cast(SQLDataType.UUID).coerce(Object.class))
              : ordered.eq(value.coerce(Object.class));
    };
  }

  /**
   * A uuid parent referenced by text: only a canonical uuid text can equal a uuid's text form, so
   * other texts are not cast (the cast would fail) and the parent's index is probed with a uuid.
   */
  private Condition textMatches(Field<Object> parentColumn, Field<String> value) {
    ColumnType type = parent.type();
    if (isUuid(type)) {
      Field<Object> asUuid =
          DSL.when(
                  value.likeRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
                  value.cast(SQLDataType.UUID))
              .coerce(Object.class);
      return parentColumn.eq(asUuid);
    }
    if (type.baseName().equals("text") || type.baseName().equals("varchar")) {
      return parentColumn.coerce(String.class).eq(value);
    }
    return parentColumn.cast(SQLDataType.CLOB).eq(value);
  }

  /** Code point order, PostgreSQL's "C" collation on UTF-8 text. */
  static int compareCodePoints(String a, String b) {
    int length = Math.min(a.length(), b.length());
    for (int i = 0; i < length; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        // a surrogate stands for a code point above every char of the basic plane
        boolean xs = Character.isSurrogate(x);
        boolean ys = Character.isSurrogate(y);
        if (xs != ys) {
          return xs ? 1 : -1;
        }
        return Character.compare(x, y);
      }
    }
    return Integer.compare(a.length(), b.length());
  }
}
