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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * {@code kind: unique} — rows whose key columns are shared by more than {@code max} rows (default
 * 1): a unique constraint or a partial unique index that is missing ("one ACTIVE config version per
 * workspace" is {@code columns: [workspace_id], where: {status: ACTIVE}}).
 *
 * <p>Violations are the rows of the groups that are too large (all of them: which one is the
 * duplicate is for a human to decide); rows checked are the rows in the filter. Like a unique
 * index, a group with a NULL in any key column is not checked, unless {@code nulls: equal} (like
 * {@code UNIQUE NULLS NOT DISTINCT}).
 *
 * <p>Query: the groups are formed on the server ({@code GROUP BY} the key columns, with their
 * sizes) and fed to {@link ViolationScan} weighted by their size, so only the sampled groups reach
 * the worker.
 */
public record UniqueSpec(Source source, List<String> columns, long max, boolean nullsEqual)
    implements AuditSpec {

  public static final String KIND = "unique";

  /** Types without an equality operator: they cannot be grouped. */
  private static final Set<String> NO_EQUALITY =
      Set.of("json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle");

  @Override
  public String kind() {
    return KIND;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<Source> source = Source.parse(fields, "where");
    List<String> columns = Source.columnList(fields, "columns", true);
    long max = fields.integer("max", 1, Long.MAX_VALUE).orElse(1L);
    boolean nullsEqual =
        fields.oneOf("nulls", List.of("distinct", "equal")).orElse("distinct").equals("equal");
    if (source.isEmpty() || columns.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new UniqueSpec(source.get(), columns, max, nullsEqual));
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<Source.Bound> bound = source.bind(context, "t");
    if (bound.isEmpty()) {
      return Optional.empty();
    }
    Optional<List<ColumnInfo>> keys =
        Source.columns(context, "columns", bound.get().table(), columns);
    if (keys.isEmpty() || !bound.get().filterValid()) {
      return Optional.empty();
    }
    for (ColumnInfo key : keys.get()) {
      if (NO_EQUALITY.contains(key.type().baseName())) {
        context.problem(
            "columns",
            "column "
                + key.name()
                + " is "
                + key.type()
                + ", which has no equality operator, so rows cannot be grouped by it"
                + (key.type().baseName().equals("json") ? " (jsonb can)" : ""));
        return Optional.empty();
      }
    }
    return Optional.of(query(bound.get(), keys.get(), context.sampleSize()));
  }

  private AuditQuery query(Source.Bound bound, List<ColumnInfo> keys, int sampleSize) {
    List<Field<?>> select = new ArrayList<>();
    List<Field<Object>> groupBy = QueryParts.fields("t", keys);
    for (int i = 0; i < keys.size(); i++) {
      select.add(groupBy.get(i).as("k" + i));
    }
    select.add(DSL.count().as("n"));
    Table<?> groups =
        DSL.select(select)
            .from(QueryParts.table(bound.table(), "t"))
            .where(bound.filter().orElse(DSL.noCondition()))
            .groupBy(groupBy)
            .asTable("g");
    Field<Long> size = DSL.field(DSL.name("g", "n"), Long.class);
    Map<String, Field<?>> samples = new LinkedHashMap<>();
    List<Condition> present = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      ColumnInfo column = keys.get(i);
      // the group's key column k<i>, of the grouped column's type
      Field<?> key =
          QueryParts.sampleField(
              "g", new ColumnInfo("k" + i, column.position(), column.notNull(), column.type()));
      samples.put(keys.get(i).name(), key);
      present.add(key.isNotNull());
    }
    // the group's size is part of every sample, under a name no key column has
    samples.put(samples.containsKey("rows") ? "group_rows" : "rows", size);
    Condition violation = size.gt(DSL.inline(max));
    if (!nullsEqual) {
      violation = violation.and(DSL.and(present));
    }
    return new ViolationScan(
        QueryParts.relations(bound.table()),
        groups,
        DSL.noCondition(),
        violation,
        samples,
        sampleSize,
        List.of(),
        size);
  }
}
