package io.integrityauditor.audit;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.config.Fields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * {@code kind: orphan} — child rows whose reference finds no parent row: the check a missing
 * foreign key would have enforced. Supports composite keys, filters on both sides (a reference to a
 * parent row that exists but fails the parent filter is broken), and an explicit NULL policy.
 *
 * <p>Query: {@code child c LEFT JOIN parent p ON c.k = p.k AND <parent filter>}, violations are
 * child rows (in the child filter) with no joined parent. When the parent columns are not known to
 * be unique the parent side is {@code SELECT DISTINCT} so no child row is counted twice.
 */
public record OrphanSpec(
    TableColumns child, TableColumns parent, NullPolicy nulls, boolean compareAsText)
    implements AuditSpec {

  public static final String KIND = "orphan";

  /** What a NULL in the child's reference columns means. */
  public enum NullPolicy {
    /** SQL MATCH SIMPLE: a reference with any NULL column is not checked (the default). */
    IGNORE,
    /** Any NULL reference column is a violation (the reference is mandatory). */
    VIOLATION,
    /** SQL MATCH FULL: all columns NULL is fine, some NULL is a violation. */
    MATCH_FULL;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    static final List<String> LABELS = List.of("ignore", "violation", "match_full");
  }

  @Override
  public String kind() {
    return KIND;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<TableColumns> child = TableColumns.parse(fields, "child", true);
    Optional<TableColumns> parent = TableColumns.parse(fields, "parent", true);
    NullPolicy nulls =
        fields
            .oneOf("nulls", NullPolicy.LABELS)
            .map(label -> NullPolicy.valueOf(label.toUpperCase(Locale.ROOT)))
            .orElse(NullPolicy.IGNORE);
    boolean asText =
        fields.oneOf("compare_as", List.of("native", "text")).orElse("native").equals("text");
    if (child.isEmpty() || parent.isEmpty()) {
      return Optional.empty();
    }
    if (child.get().columns().size() != parent.get().columns().size()
        && !child.get().columns().isEmpty()) {
      fields.problem(
          "parent",
          "child has "
              + child.get().columns().size()
              + " column(s) "
              + child.get().columns()
              + " but parent has "
              + parent.get().columns().size()
              + " "
              + parent.get().columns()
              + "; they pair up in order, so give the same number");
      return Optional.empty();
    }
    return Optional.of(new OrphanSpec(child.get(), parent.get(), nulls, asText));
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<TableColumns.Bound> c = child.bind(context, "c");
    Optional<TableColumns.Bound> p = parent.bind(context, "p");
    if (c.isEmpty() || p.isEmpty()) {
      return Optional.empty();
    }
    List<String> notes = new ArrayList<>();
    if (!typesAlign(context, c.get(), p.get(), notes)) {
      return Optional.empty();
    }
    return Optional.of(query(c.get(), p.get(), context.sampleSize(), notes));
  }

  /**
   * Reference columns must be comparable with the key they point at. Comparable but different types
   * (int vs bigint, varchar vs text) work and are reported as a type-alignment note; incomparable
   * ones (text vs uuid) are an error unless {@code compare_as: text} is set.
   */
  private boolean typesAlign(
      BindContext context, TableColumns.Bound c, TableColumns.Bound p, List<String> notes) {
    boolean ok = true;
    for (int i = 0; i < c.columns().size(); i++) {
      ColumnInfo from = c.columns().get(i);
      ColumnInfo to = p.columns().get(i);
      String pair =
          c.table().id().name()
              + "."
              + from.name()
              + " is "
              + from.type()
              + " but "
              + p.table().id().name()
              + "."
              + to.name()
              + " is "
              + to.type();
      if (!from.type().comparableWith(to.type())) {
        if (compareAsText) {
          notes.add("type mismatch: " + pair + "; compared as text (compare_as: text)");
        } else {
          context.problem(
              child.keyPath() + ".columns",
              "type mismatch: "
                  + pair
                  + "; these cannot be compared. Give the reference the key's type, or set"
                  + " compare_as: text to compare their text forms");
          ok = false;
        }
      } else if (!from.type().sameAs(to.type())) {
        notes.add("type alignment: " + pair);
      }
    }
    return ok;
  }

  private AuditQuery query(
      TableColumns.Bound c, TableColumns.Bound p, int sampleSize, List<String> notes) {
    Table<?> childTable =
        DSL.table(DSL.name(c.table().id().schema(), c.table().id().name())).as("c");
    List<Field<Object>> childFields = fields("c", c.columns());
    List<Field<Object>> parentFields = fields("p", p.columns());

    Table<?> parentSide;
    Condition join = DSL.noCondition();
    Table<?> parentTable =
        DSL.table(DSL.name(p.table().id().schema(), p.table().id().name())).as("p");
    if (p.table().isUniqueOn(p.columns().stream().map(ColumnInfo::name).toList())) {
      parentSide = parentTable;
      join = p.filter().orElse(DSL.noCondition());
    } else {
      // Not provably unique: deduplicate so a child row joins at most one parent row.
      parentSide =
          DSL.selectDistinct(parentFields)
              .from(parentTable)
              .where(p.filter().orElse(DSL.noCondition()))
              .asTable("p");
    }
    for (int i = 0; i < childFields.size(); i++) {
      join = join.and(comparable(childFields.get(i)).eq(comparable(parentFields.get(i))));
    }
    Table<?> source = childTable.leftJoin(parentSide).on(join);

    Condition parentMissing = parentFields.get(0).isNull();
    Condition allPresent = DSL.and(childFields.stream().map(Field::isNotNull).toList());
    Condition anyNull = DSL.or(childFields.stream().map(Field::isNull).toList());
    Condition violation =
        switch (nulls) {
          case IGNORE -> allPresent.and(parentMissing);
          case VIOLATION -> parentMissing;
          case MATCH_FULL ->
              allPresent
                  .and(parentMissing)
                  .or(anyNull.and(DSL.or(childFields.stream().map(Field::isNotNull).toList())));
        };

    Map<String, Field<?>> samples = new LinkedHashMap<>();
    for (String key : c.table().identifyingColumns()) {
      samples.put(key, DSL.field(DSL.name("c", key)));
    }
    for (ColumnInfo column : c.columns()) {
      samples.putIfAbsent(column.name(), DSL.field(DSL.name("c", column.name())));
    }
    List<String> relations =
        java.util.stream.Stream.of(c.table().id().toString(), p.table().id().toString())
            .distinct()
            .toList();
    return new ViolationScan(
        relations,
        source,
        c.filter().orElse(DSL.noCondition()),
        violation,
        samples,
        sampleSize,
        notes);
  }

  private Field<Object> comparable(Field<Object> field) {
    return compareAsText ? field.cast(SQLDataType.CLOB).coerce(Object.class) : field;
  }

  private static List<Field<Object>> fields(String alias, List<ColumnInfo> columns) {
    return columns.stream().map(col -> DSL.field(DSL.name(alias, col.name()))).toList();
  }
}
