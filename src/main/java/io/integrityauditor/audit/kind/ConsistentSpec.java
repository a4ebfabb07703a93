package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.DeclaredReference;
import io.integrityauditor.audit.Filter;
import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.crossdb.ConsistencyScan;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.Entry;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Node.ScalarNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * {@code kind: consistent} — a child column must equal the parent's column reached through a
 * reference: workspace isolation is {@code workflow_instances.workspace_id} = the workspace of its
 * config version ({@code child: workflow_instances.config_version_id, parent: config_versions.id,
 * equal: [workspace_id]}).
 *
 * <p>Only child rows whose reference finds its parent are checked (a missing parent is the orphan
 * kind's finding, not counted twice); rows checked are those rows. The parent columns must be a
 * primary or unique key, so that a child row reaches exactly one parent. A pair is a violation when
 * its values are {@code IS DISTINCT FROM} each other (NULL vs a value is a violation, NULL vs NULL
 * is not); {@code nulls: ignore} compares with {@code <>} instead, so a NULL on either side is not
 * checked. A parent in another target (its side's {@code target:}) is audited by a merge of both
 * databases' streams ({@link ConsistencyScan}), with the same answers.
 *
 * @param equal child column → parent column, in order
 */
public record ConsistentSpec(
    TableColumns child,
    TableColumns parent,
    List<Map.Entry<String, String>> equal,
    boolean ignoreNulls,
    TypeAlignment.Policy typeMismatch)
    implements AuditSpec {

  public static final String KIND = "consistent";

  public ConsistentSpec {
    equal = List.copyOf(equal);
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public List<TableColumns> sides() {
    return List.of(child, parent);
  }

  @Override
  public List<DeclaredReference> references() {
    return List.of(
        DeclaredReference.of(child, parent),
        DeclaredReference.of(
            new TableColumns(
                child.table(),
                equal.stream().map(Map.Entry::getKey).toList(),
                Filter.NONE,
                "equal"),
            new TableColumns(
                parent.table(),
                equal.stream().map(Map.Entry::getValue).toList(),
                Filter.NONE,
                "equal")));
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<TableColumns> child = TableColumns.parseSide(fields, "child");
    Optional<TableColumns> parent = TableColumns.parseSide(fields, "parent");
    List<Map.Entry<String, String>> equal = equal(fields);
    boolean ignoreNulls =
        fields
            .oneOf("nulls", List.of("compare", "ignore"))
            .orElse("compare")
            .toLowerCase(Locale.ROOT)
            .equals("ignore");
    TypeAlignment.Policy typeMismatch = OrphanSpec.typeMismatch(fields);
    if (child.isEmpty() || parent.isEmpty() || equal.isEmpty()) {
      return Optional.empty();
    }
    if (!OrphanSpec.sameWidth(fields, "parent", child.get(), parent.get())) {
      return Optional.empty();
    }
    return Optional.of(
        new ConsistentSpec(child.get(), parent.get(), equal, ignoreNulls, typeMismatch));
  }

  /** {@code equal: [a, b]} (same names on both sides) or {@code equal: {child_col: parent_col}}. */
  private static List<Map.Entry<String, String>> equal(Fields fields) {
    Optional<Node> node = fields.node("equal");
    if (node.isEmpty()) {
      fields.problem(
          "equal", "is required: the columns that must equal the parent's, e.g. [workspace_id]");
      return List.of();
    }
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    if (node.get() instanceof MapNode map) {
      for (Entry entry : map.entries().values()) {
        if (!(entry.value() instanceof ScalarNode scalar) || scalar.isNull()) {
          fields.problem(
              "equal",
              "expected child_column: parent_column, found "
                  + entry.value().shape()
                  + " for "
                  + entry.key());
          return List.of();
        }
        pairs.add(Map.entry(entry.key(), scalar.text()));
      }
    } else {
      for (String name : Source.columnList(fields, "equal", true)) {
        pairs.add(Map.entry(name, name));
      }
    }
    if (pairs.isEmpty() && node.get() instanceof MapNode) {
      fields.problem("equal", "is empty: give at least one column");
    }
    return pairs;
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<TableColumns.Bound> c = child.bind(context, "c");
    Optional<TableColumns.Bound> p = parent.bind(context, "p");
    if (c.isEmpty() || p.isEmpty()) {
      return Optional.empty();
    }
    List<String> parentKey = p.get().columns().stream().map(ColumnInfo::name).toList();
    if (!p.get().table().isUniqueOn(parentKey)) {
      context.problem(
          parent.keyPath() + ".columns",
          p.get().describe()
              + " is not a primary key or unique key, so a child row could reach several parent"
              + " rows; a consistency check needs the reference to name one parent row");
      return Optional.empty();
    }
    Optional<List<ColumnInfo>> childColumns =
        Source.columns(
            context, "equal", c.get().table(), equal.stream().map(Map.Entry::getKey).toList());
    Optional<List<ColumnInfo>> parentColumns =
        Source.columns(
            context, "equal", p.get().table(), equal.stream().map(Map.Entry::getValue).toList());
    if (childColumns.isEmpty() || parentColumns.isEmpty()) {
      return Optional.empty();
    }
    List<TypeAlignment.Pair> referencePairs = TypeAlignment.pairs(c.get(), p.get());
    List<TypeAlignment.Pair> comparedPairs = new ArrayList<>();
    for (int i = 0; i < equal.size(); i++) {
      comparedPairs.add(
          new TypeAlignment.Pair(
              c.get().table(),
              childColumns.get().get(i),
              p.get().table(),
              parentColumns.get().get(i)));
    }
    List<TypeAlignment.Pair> mismatched = new ArrayList<>();
    mismatched.addAll(
        TypeAlignment.check(
            context, child.keyPath() + ".columns", referencePairs, typeMismatch, false));
    mismatched.addAll(TypeAlignment.check(context, "equal", comparedPairs, typeMismatch, false));

    if (!c.get().target().equals(p.get().target())) {
      // the parent in another database: a merge of both servers' streams, with the same answers
      AuditQuery across =
          ConsistencyScan.differences(
              c.get(),
              p.get(),
              childColumns.get(),
              parentColumns.get(),
              ignoreNulls,
              context.sampleSize());
      return Optional.of(
          TypeAlignment.wrap(across, mismatched, typeMismatch, false, context.sampleSize()));
    }
    List<Field<Object>> childRef = QueryParts.fields("c", c.get().columns());
    ParentJoin parentJoin = ParentJoin.of(p.get(), "p");
    Table<?> source =
        QueryParts.table(c.get().table(), "c")
            .join(parentJoin.table())
            .on(parentJoin.on(childRef, referencePairs, false));
    List<Condition> differs = new ArrayList<>();
    List<Field<Object>> mine = QueryParts.fields("c", childColumns.get());
    List<Field<Object>> theirs = QueryParts.fields("p", parentColumns.get());
    for (int i = 0; i < comparedPairs.size(); i++) {
      Field<Object> a = TypeAlignment.comparable(mine.get(i), comparedPairs.get(i), false);
      Field<Object> b = TypeAlignment.comparable(theirs.get(i), comparedPairs.get(i), false);
      differs.add(ignoreNulls ? a.ne(b) : a.isDistinctFrom(b));
    }
    List<ColumnInfo> shown = new ArrayList<>(c.get().columns());
    shown.addAll(childColumns.get());
    var samples = QueryParts.samples(c.get().table(), "c", shown);
    for (int i = 0; i < comparedPairs.size(); i++) {
      samples.put(
          p.get().table().id().name() + "." + parentColumns.get().get(i).name(),
          QueryParts.sampleField("p", parentColumns.get().get(i)));
    }
    AuditQuery query =
        new ViolationScan(
            QueryParts.relations(c.get().table(), p.get().table()),
            source,
            c.get().filter().orElse(DSL.noCondition()),
            DSL.or(differs),
            samples,
            context.sampleSize(),
            List.of());
    return Optional.of(
        TypeAlignment.wrap(query, mismatched, typeMismatch, false, context.sampleSize()));
  }
}
