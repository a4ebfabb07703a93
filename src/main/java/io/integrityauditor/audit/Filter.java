package io.integrityauditor.audit;

import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Node.ScalarNode;
import io.integrityauditor.config.Suggest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * A row filter written as data, never as SQL text: {@code {status: ACTIVE, deleted_at: null, kind:
 * [a, b], version: {gte: 2}}}. Values are sent as bind parameters and cast to the column's own type
 * on the server, so uuid, enum, timestamp and numeric columns all compare natively.
 *
 * <p>Comparisons follow SQL: a NULL column value never matches {@code eq}, {@code ne}, {@code in}
 * or {@code not_in}; use {@code null} / {@code {is_null: false}} to select on NULL.
 */
public record Filter(List<Predicate> predicates) {
  public static final Filter NONE = new Filter(List.of());

  public Filter {
    predicates = List.copyOf(predicates);
  }

  /** Comparison operators available in filters. */
  public enum Op {
    EQ,
    NE,
    IN,
    NOT_IN,
    IS_NULL,
    LT,
    LTE,
    GT,
    GTE,
    LIKE,
    NOT_LIKE;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    static final List<String> LABELS = Arrays.stream(values()).map(Op::label).toList();
  }

  /**
   * One column condition.
   *
   * @param values the operand(s) as written; for IS_NULL a single "true" or "false"
   * @param keyPath where it was written, for messages
   */
  public record Predicate(String column, Op op, List<String> values, String keyPath) {
    public Predicate {
      values = List.copyOf(values);
    }
  }

  public boolean isEmpty() {
    return predicates.isEmpty();
  }

  /** Reads {@code key} of {@code fields} as a filter; absent means no filter. */
  public static Filter parse(Fields fields, String key) {
    Optional<Fields> section = fields.map(key);
    if (section.isEmpty()) {
      return NONE;
    }
    List<Predicate> predicates = new ArrayList<>();
    String basePath = fields.keyPath(key);
    section
        .get()
        .entries()
        .forEach(
            (column, entry) -> {
              String path = basePath + "." + column;
              parsePredicates(section.get(), column, entry.value(), path, predicates);
            });
    return new Filter(predicates);
  }

  private static void parsePredicates(
      Fields fields, String column, Node value, String path, List<Predicate> out) {
    if (value instanceof ScalarNode scalar) {
      out.add(
          scalar.isNull()
              ? new Predicate(column, Op.IS_NULL, List.of("true"), path)
              : new Predicate(column, Op.EQ, List.of(scalar.text()), path));
    } else if (value instanceof ListNode list) {
      scalars(fields, column, list, path)
          .ifPresent(v -> out.add(new Predicate(column, Op.IN, v, path)));
    } else if (value instanceof MapNode map) {
      map.entries()
          .forEach(
              (opName, entry) -> {
                String opPath = path + "." + opName;
                Optional<Op> op =
                    Arrays.stream(Op.values()).filter(o -> o.label().equals(opName)).findFirst();
                if (op.isEmpty()) {
                  fields
                      .problems()
                      .add(
                          entry.keyLocation(),
                          fields.auditId(),
                          opPath,
                          "unknown filter operator"
                              + Suggest.didYouMean(opName, Op.LABELS)
                              + "; use one of "
                              + String.join(", ", Op.LABELS));
                  return;
                }
                Node operand = entry.value();
                boolean wantsList = op.get() == Op.IN || op.get() == Op.NOT_IN;
                if (wantsList && operand instanceof ListNode list) {
                  scalars(fields, column, list, opPath)
                      .ifPresent(v -> out.add(new Predicate(column, op.get(), v, opPath)));
                } else if (!wantsList && operand instanceof ScalarNode s && !s.isNull()) {
                  String text = s.text();
                  if (op.get() == Op.IS_NULL && !text.matches("(?i)true|false")) {
                    fields
                        .problems()
                        .add(
                            operand.location(),
                            fields.auditId(),
                            opPath,
                            "is_null takes true or false, found '" + text + "'");
                    return;
                  }
                  out.add(new Predicate(column, op.get(), List.of(text), opPath));
                } else {
                  fields
                      .problems()
                      .add(
                          operand.location(),
                          fields.auditId(),
                          opPath,
                          (wantsList ? "expected a list of values" : "expected one value")
                              + ", found "
                              + operand.shape());
                }
              });
    }
  }

  private static Optional<List<String>> scalars(
      Fields fields, String column, ListNode list, String path) {
    List<String> values = new ArrayList<>();
    for (Node item : list.items()) {
      if (item instanceof ScalarNode s && !s.isNull()) {
        values.add(s.text());
      } else {
        fields
            .problems()
            .add(
                item.location(),
                fields.auditId(),
                path,
                "list values must be plain values (use 'null' as its own condition), found "
                    + item.shape());
        return Optional.empty();
      }
    }
    if (values.isEmpty()) {
      fields.problems().add(list.location(), fields.auditId(), path, "the list of values is empty");
      return Optional.empty();
    }
    return Optional.of(values);
  }

  /**
   * The filter as a jOOQ condition on {@code alias}'s columns. Unknown columns and operators that
   * do not fit the column type are reported; the condition is empty when there is no filter.
   */
  public Optional<Condition> bind(BindContext context, TableInfo table, String alias) {
    if (predicates.isEmpty()) {
      return Optional.empty();
    }
    List<Condition> conditions = new ArrayList<>();
    boolean ok = true;
    for (Predicate predicate : predicates) {
      Optional<ColumnInfo> column = context.column(predicate.keyPath(), table, predicate.column());
      if (column.isEmpty()) {
        ok = false;
        continue;
      }
      Optional<Condition> condition = condition(context, table, alias, column.get(), predicate);
      if (condition.isEmpty()) {
        ok = false;
      } else {
        conditions.add(condition.get());
      }
    }
    return ok ? Optional.of(DSL.and(conditions)) : Optional.empty();
  }

  private static Optional<Condition> condition(
      BindContext context, TableInfo table, String alias, ColumnInfo column, Predicate predicate) {
    Field<Object> field = DSL.field(DSL.name(alias, column.name()));
    if (predicate.op() != Op.IS_NULL
        && predicate.op() != Op.LIKE
        && predicate.op() != Op.NOT_LIKE) {
      for (String value : predicate.values()) {
        Optional<String> problem = Values.problem(column, table.id().name(), value);
        if (problem.isPresent()) {
          context.problem(predicate.keyPath(), problem.get());
          return Optional.empty();
        }
      }
    }
    List<Field<Object>> values =
        predicate.values().stream().map(v -> QueryParts.typed(v, column)).toList();
    return switch (predicate.op()) {
      case EQ -> Optional.of(field.eq(values.get(0)));
      case NE -> Optional.of(field.ne(values.get(0)));
      case IN -> Optional.of(field.in(values));
      case NOT_IN -> Optional.of(field.notIn(values));
      case IS_NULL ->
          Optional.of(
              Boolean.parseBoolean(predicate.values().get(0)) ? field.isNull() : field.isNotNull());
      case LT -> Optional.of(field.lt(values.get(0)));
      case LTE -> Optional.of(field.le(values.get(0)));
      case GT -> Optional.of(field.gt(values.get(0)));
      case GTE -> Optional.of(field.ge(values.get(0)));
      case LIKE, NOT_LIKE -> {
        if (!column.type().isString()) {
          context.problem(
              predicate.keyPath(),
              predicate.op().label()
                  + " needs a text column, but "
                  + column.name()
                  + " is "
                  + column.type());
          yield Optional.empty();
        }
        Field<String> text = DSL.field(DSL.name(alias, column.name()), SQLDataType.VARCHAR);
        String pattern = predicate.values().get(0);
        yield Optional.of(predicate.op() == Op.LIKE ? text.like(pattern) : text.notLike(pattern));
      }
    };
  }
}
