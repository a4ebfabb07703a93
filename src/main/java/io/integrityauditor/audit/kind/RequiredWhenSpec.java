package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.config.Fields;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.impl.DSL;

/**
 * {@code kind: required_when} — rows that match a condition ({@code when:}, a filter) but lack a
 * column that must then be present, or have one that must then be absent: {@code
 * provisioning_source = 'sst'} ⇒ {@code sst_resource_id} and {@code sst_stack_name} not null.
 *
 * <p>Present means {@code IS NOT NULL} (an empty string is present), absent means {@code IS NULL}.
 * Without {@code when} every row must comply. Rows checked are the rows matching {@code when}.
 */
public record RequiredWhenSpec(Source source, List<String> present, List<String> absent)
    implements AuditSpec {

  public static final String KIND = "required_when";

  @Override
  public String kind() {
    return KIND;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<Source> source = Source.parse(fields, "when");
    List<String> present = Source.columnList(fields, "present", false);
    List<String> absent = Source.columnList(fields, "absent", false);
    if (present.isEmpty() && absent.isEmpty() && !fields.has("present") && !fields.has("absent")) {
      fields.problem(
          "present", "is required (or absent): the columns that must be present when 'when' holds");
      return Optional.empty();
    }
    for (String column : present) {
      if (absent.contains(column)) {
        fields.problem("absent", "column " + column + " cannot be both present and absent");
        return Optional.empty();
      }
    }
    if (source.isEmpty() || (present.isEmpty() && absent.isEmpty())) {
      return Optional.empty();
    }
    return Optional.of(new RequiredWhenSpec(source.get(), present, absent));
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<Source.Bound> bound = source.bind(context, "t");
    if (bound.isEmpty()) {
      return Optional.empty();
    }
    Optional<List<ColumnInfo>> mustHave =
        Source.columns(context, "present", bound.get().table(), present);
    Optional<List<ColumnInfo>> mustLack =
        Source.columns(context, "absent", bound.get().table(), absent);
    if (mustHave.isEmpty() || mustLack.isEmpty() || !bound.get().filterValid()) {
      return Optional.empty();
    }
    List<Condition> broken = new ArrayList<>();
    QueryParts.fields("t", mustHave.get()).forEach(f -> broken.add(f.isNull()));
    QueryParts.fields("t", mustLack.get()).forEach(f -> broken.add(f.isNotNull()));
    List<ColumnInfo> shown = new ArrayList<>(mustHave.get());
    shown.addAll(mustLack.get());
    return Optional.of(
        new ViolationScan(
            QueryParts.relations(bound.get().table()),
            QueryParts.table(bound.get().table(), "t"),
            bound.get().filter().orElse(DSL.noCondition()),
            DSL.or(broken),
            QueryParts.samples(bound.get().table(), "t", shown),
            context.sampleSize(),
            List.of()));
  }
}
