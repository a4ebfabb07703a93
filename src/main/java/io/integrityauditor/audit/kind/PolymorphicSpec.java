package io.integrityauditor.audit.kind;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.DeclaredReference;
import io.integrityauditor.audit.Filter;
import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.Values;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Fields;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * {@code kind: polymorphic} — a reference whose parent table is chosen by a type column: {@code
 * events.resource_type} says whether {@code resource_id} is a server, a web service, a domain or a
 * database. A row whose type names a parent table but whose id is not in it is a violation; so is a
 * row whose type is not declared at all, unless {@code unknown_types: ignore}.
 *
 * <p>NULLs ({@code nulls}): {@code ignore} (default) does not check a row whose type or any id
 * column is NULL; {@code violation} counts such a row.
 *
 * <p>Query: one pass over the child, LEFT JOINed to every parent with the type value in the ON
 * clause, so each row probes only its own parent: {@code c LEFT JOIN servers p0 ON c.type =
 * 'server' AND c.id = p0.id LEFT JOIN web_services p1 ON c.type = 'web_service' AND ...}.
 *
 * @param parents type value → parent table and columns, in file order
 */
public record PolymorphicSpec(
    Source source,
    String typeColumn,
    List<String> idColumns,
    Map<String, TableColumns> parents,
    boolean unknownTypesViolate,
    boolean nullsViolate,
    TypeAlignment.Policy typeMismatch)
    implements AuditSpec {

  public static final String KIND = "polymorphic";

  public PolymorphicSpec {
    idColumns = List.copyOf(idColumns);
    parents = Collections.unmodifiableMap(new LinkedHashMap<>(parents));
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public List<DeclaredReference> references() {
    List<DeclaredReference> references = new ArrayList<>();
    for (TableColumns parent : parents.values()) {
      references.add(
          DeclaredReference.of(
              new TableColumns(source.table(), idColumns, Filter.NONE, "id_columns"), parent));
    }
    return references;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<Source> source = Source.parse(fields, "where");
    String typeColumn = fields.requiredString("type_column");
    List<String> idColumns = new ArrayList<>();
    if (fields.has("id_column") && fields.has("id_columns")) {
      fields.problem("id_columns", "set either id_column or id_columns, not both");
    } else if (fields.has("id_columns")) {
      idColumns.addAll(Source.columnList(fields, "id_columns", true));
    } else {
      Optional.ofNullable(fields.requiredString("id_column")).ifPresent(idColumns::add);
    }
    Map<String, TableColumns> parents = new LinkedHashMap<>();
    Optional<Fields> parentFields = fields.map("parents");
    if (parentFields.isEmpty()) {
      fields.problem(
          "parents", "is required: type value → parent, e.g. {server: provisioning.servers.id}");
    } else {
      for (String type : parentFields.get().entries().keySet()) {
        TableColumns.parse(parentFields.get(), type, true)
            .ifPresent(
                parent -> {
                  if (parent.columns().size() != idColumns.size() && !idColumns.isEmpty()) {
                    parentFields
                        .get()
                        .problem(
                            type,
                            "the parent has "
                                + Plural.of(parent.columns().size(), "column")
                                + " "
                                + parent.columns()
                                + " but id_columns has "
                                + idColumns.size()
                                + " "
                                + idColumns
                                + "; they pair up in order");
                  } else {
                    parents.put(type, parent);
                  }
                });
      }
      if (parentFields.get().entries().isEmpty()) {
        fields.problem("parents", "is empty: give at least one type value and its parent");
      }
    }
    boolean unknownTypesViolate =
        fields
            .oneOf("unknown_types", List.of("violation", "ignore"))
            .orElse("violation")
            .equals("violation");
    boolean nullsViolate =
        fields.oneOf("nulls", List.of("ignore", "violation")).orElse("ignore").equals("violation");
    TypeAlignment.Policy typeMismatch = OrphanSpec.typeMismatch(fields);
    if (source.isEmpty()
        || typeColumn == null
        || idColumns.isEmpty()
        || parents.isEmpty()
        || parentFields.map(p -> p.entries().size() != parents.size()).orElse(true)) {
      return Optional.empty();
    }
    return Optional.of(
        new PolymorphicSpec(
            source.get(),
            typeColumn,
            idColumns,
            parents,
            unknownTypesViolate,
            nullsViolate,
            typeMismatch));
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<Source.Bound> child = source.bind(context, "c");
    if (child.isEmpty()) {
      return Optional.empty();
    }
    TableInfo table = child.get().table();
    Optional<ColumnInfo> type = context.column("type_column", table, typeColumn);
    Optional<List<ColumnInfo>> ids =
        Source.columns(
            context, idColumns.size() == 1 ? "id_column" : "id_columns", table, idColumns);
    // every parent is resolved (and its problems reported) even when the child side is broken
    Map<String, TableColumns.Bound> bound = new LinkedHashMap<>();
    boolean ok = child.get().filterValid() && type.isPresent() && ids.isPresent();
    int alias = 0;
    for (Map.Entry<String, TableColumns> entry : parents.entrySet()) {
      if (type.isPresent() && !type.get().type().isEnum()) {
        Optional<String> badValue = Values.problem(type.get(), table.id().name(), entry.getKey());
        if (badValue.isPresent()) {
          context.problem("parents." + entry.getKey(), badValue.get());
          ok = false;
        }
      }
      Optional<TableColumns.Bound> parent = entry.getValue().bind(context, "p" + alias++);
      parent.ifPresent(p -> bound.put(entry.getKey(), p));
      ok &= parent.isPresent();
    }
    if (!ok) {
      return Optional.empty();
    }
    return Optional.of(query(context, table, type.get(), ids.get(), bound, child.get().filter()));
  }

  private AuditQuery query(
      BindContext context,
      TableInfo table,
      ColumnInfo type,
      List<ColumnInfo> ids,
      Map<String, TableColumns.Bound> bound,
      Optional<Condition> filter) {
    TableColumns.Bound childSide =
        new TableColumns.Bound(table, ids, Optional.empty(), context.target());
    Field<Object> typeField = QueryParts.field("c", type);
    List<Field<Object>> idFields = QueryParts.fields("c", ids);
    Condition idsPresent = DSL.and(idFields.stream().map(Field::isNotNull).toList());
    Table<?> from = QueryParts.table(table, "c");
    List<Condition> violations = new ArrayList<>();
    List<TypeAlignment.Pair> mismatched = new ArrayList<>();
    List<String> relations = new ArrayList<>(QueryParts.relations(table));
    int alias = 0;
    for (Map.Entry<String, TableColumns.Bound> entry : bound.entrySet()) {
      TableColumns.Bound parent = entry.getValue();
      List<TypeAlignment.Pair> pairs = TypeAlignment.pairs(childSide, parent);
      mismatched.addAll(
          TypeAlignment.check(context, "parents." + entry.getKey(), pairs, typeMismatch, false));
      PartialKeyReference.warn(context, "parents." + entry.getKey(), childSide, parent, true);
      ParentJoin join = ParentJoin.of(parent, "p" + alias++);
      Condition isThisType = Values.equal(typeField, type, entry.getKey());
      from = from.leftJoin(join.table()).on(isThisType.and(join.on(idFields, pairs, false)));
      violations.add(isThisType.and(idsPresent).and(join.missing()));
      relations.add(parent.table().id().toString());
    }
    if (unknownTypesViolate) {
      violations.add(idsPresent.and(Values.notIn(typeField, type, List.copyOf(bound.keySet()))));
    }
    if (nullsViolate) {
      violations.add(typeField.isNull().or(DSL.or(idFields.stream().map(Field::isNull).toList())));
    }
    List<ColumnInfo> shown = new ArrayList<>(List.of(type));
    shown.addAll(ids);
    AuditQuery query =
        new ViolationScan(
            relations.stream().distinct().toList(),
            from,
            filter.orElse(DSL.noCondition()),
            DSL.or(violations),
            QueryParts.samples(table, "c", shown),
            context.sampleSize(),
            List.of());
    return TypeAlignment.wrap(query, mismatched, typeMismatch, false, context.sampleSize());
  }
}
