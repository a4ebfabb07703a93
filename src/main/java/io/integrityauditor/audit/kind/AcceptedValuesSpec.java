package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.Values;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.ScalarNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * {@code kind: accepted_values} — rows whose column holds a value outside an allowed set: the CHECK
 * constraint that was never created ({@code status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')}).
 *
 * <p>NULL is allowed by default, like a CHECK constraint (which passes NULL) and dbt's test; {@code
 * nulls: violation} makes a NULL a violation too. Values are bind parameters cast to the column's
 * type; enum columns are compared by their text form.
 */
public record AcceptedValuesSpec(
    Source source, String column, List<String> values, boolean nullsViolate) implements AuditSpec {

  public static final String KIND = "accepted_values";

  @Override
  public String kind() {
    return KIND;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<Source> source = Source.parse(fields, "where");
    String column = fields.requiredString("column");
    List<String> values = values(fields);
    boolean nullsViolate =
        fields
            .oneOf("nulls", List.of("allowed", "violation"))
            .orElse("allowed")
            .equals("violation");
    if (source.isEmpty() || column == null || values.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new AcceptedValuesSpec(source.get(), column, values, nullsViolate));
  }

  private static List<String> values(Fields fields) {
    Optional<Node> node = fields.node("values");
    if (node.isEmpty()) {
      fields.problem("values", "is required: the list of allowed values");
      return List.of();
    }
    if (!(node.get() instanceof ListNode list) || list.items().isEmpty()) {
      fields.problem(
          "values", "expected a non-empty list of allowed values, found " + node.get().shape());
      return List.of();
    }
    List<String> values = new ArrayList<>();
    for (Node item : list.items()) {
      if (!(item instanceof ScalarNode scalar)) {
        fields.problem("values", "expected plain values, found " + item.shape());
        return List.of();
      }
      if (scalar.isNull()) {
        fields.problem(
            "values", "null is not a value: NULL is allowed by default (nulls: allowed)");
        return List.of();
      }
      values.add(scalar.text());
    }
    return values;
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<Source.Bound> bound = source.bind(context, "t");
    if (bound.isEmpty()) {
      return Optional.empty();
    }
    Optional<ColumnInfo> info = context.column("column", bound.get().table(), column);
    if (info.isEmpty() || !bound.get().filterValid()) {
      return Optional.empty();
    }
    if (!info.get().type().isEnum()) {
      for (String value : values) {
        Optional<String> problem =
            Values.problem(info.get(), bound.get().table().id().name(), value);
        if (problem.isPresent()) {
          context.problem("values", problem.get());
          return Optional.empty();
        }
      }
    }
    Field<Object> field = QueryParts.field("t", info.get());
    Condition violation = Values.notIn(field, info.get(), values);
    if (nullsViolate) {
      violation = violation.or(field.isNull());
    }
    return Optional.of(
        new ViolationScan(
            QueryParts.relations(bound.get().table()),
            QueryParts.table(bound.get().table(), "t"),
            bound.get().filter().orElse(DSL.noCondition()),
            violation,
            QueryParts.samples(bound.get().table(), "t", List.of(info.get())),
            context.sampleSize(),
            List.of()));
  }
}
