package io.integrityauditor.audit.kind;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.DeclaredReference;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.crossdb.MergeScan;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.Fields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * {@code kind: orphan} — child rows whose reference finds no parent row: the check a missing
 * foreign key would have enforced. Supports composite keys, filters on both sides (a reference to a
 * parent row that exists but fails the parent filter is broken: that is how freeze-by-reference,
 * "must point at a non-DRAFT version", is written), and an explicit NULL policy.
 *
 * <p>Query: {@code child c LEFT JOIN parent p ON c.k = p.k AND <parent filter>}, violations are
 * child rows (in the child filter) with no joined parent. When the parent columns are not known to
 * be unique the parent side is {@code SELECT DISTINCT} so no child row is counted twice. Column
 * pairs whose types differ are reported by {@link TypeAlignment}. A parent in another target (its
 * side's {@code target:}) is audited by a sorted merge of both databases' streams ({@link
 * MergeScan}), with the same answers.
 */
public record OrphanSpec(
    TableColumns child,
    TableColumns parent,
    NullPolicy nulls,
    boolean compareAsText,
    TypeAlignment.Policy typeMismatch)
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
    return List.of(DeclaredReference.of(child, parent));
  }

  static Optional<AuditSpec> parse(Fields fields) {
    Optional<TableColumns> child = TableColumns.parseSide(fields, "child");
    Optional<TableColumns> parent = TableColumns.parseSide(fields, "parent");
    NullPolicy nulls = fields.oneOf("nulls", NullPolicy.class).orElse(NullPolicy.IGNORE);
    boolean asText =
        fields.oneOf("compare_as", List.of("native", "text")).orElse("native").equals("text");
    TypeAlignment.Policy typeMismatch = typeMismatch(fields);
    if (child.isEmpty() || parent.isEmpty()) {
      return Optional.empty();
    }
    if (!sameWidth(fields, "parent", child.get(), parent.get())) {
      return Optional.empty();
    }
    return Optional.of(new OrphanSpec(child.get(), parent.get(), nulls, asText, typeMismatch));
  }

  /** {@code type_mismatch: violation | note}. */
  static TypeAlignment.Policy typeMismatch(Fields fields) {
    return fields
        .oneOf("type_mismatch", TypeAlignment.Policy.class)
        .orElse(TypeAlignment.Policy.VIOLATION);
  }

  /** Reference columns pair up in order, so both sides need as many. */
  static boolean sameWidth(Fields fields, String key, TableColumns child, TableColumns parent) {
    if (child.columns().size() == parent.columns().size() || child.columns().isEmpty()) {
      return true;
    }
    fields.problem(
        key,
        "child has "
            + Plural.of(child.columns().size(), "column")
            + " "
            + child.columns()
            + " but "
            + key
            + " has "
            + parent.columns().size()
            + " "
            + parent.columns()
            + "; they pair up in order, so give the same number");
    return false;
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    Optional<TableColumns.Bound> c = child.bind(context, "c");
    Optional<TableColumns.Bound> p = parent.bind(context, "p");
    if (c.isEmpty() || p.isEmpty()) {
      return Optional.empty();
    }
    List<TypeAlignment.Pair> pairs = TypeAlignment.pairs(c.get(), p.get());
    List<TypeAlignment.Pair> mismatched =
        TypeAlignment.check(
            context, child.keyPath() + ".columns", pairs, typeMismatch, compareAsText);
    PartialKeyReference.warn(context, parent.keyPath() + ".columns", c.get(), p.get());
    boolean across = !c.get().target().equals(p.get().target());
    Execution.Mode mode = context.audit().execution().mode();
    if (across && mode == Execution.Mode.INCREMENTAL) {
      context.problem(
          "mode",
          mode.label()
              + " runs are not available for a reference across databases ("
              + c.get().target()
              + " and "
              + p.get().target()
              + "): it streams both tables with bounded memory; use mode: chunked for bounded"
              + " statements, or full or auto");
      return Optional.empty();
    }
    if (!across) {
      context.audit().execution().bind(context, c.get().table());
    } else if (mode == Execution.Mode.CHUNKED) {
      // chunks across databases are ranges of the reference, not of the child's primary key
      Optional<String> refused = MergeScan.whyNotChunked(c.get(), p.get(), compareAsText);
      if (refused.isPresent()) {
        context.problem("mode", refused.get());
        return Optional.empty();
      }
    }
    AuditQuery query =
        across
            ? MergeScan.orphans(
                c.get(), p.get(), this::violatesWithNulls, compareAsText, context.sampleSize())
            : query(c.get(), p.get(), pairs, context.sampleSize());
    return Optional.of(
        TypeAlignment.wrap(query, mismatched, typeMismatch, compareAsText, context.sampleSize()));
  }

  /**
   * Whether a child row whose reference has {@code nulls} NULL columns out of {@code width} is a
   * violation, as {@link #query} decides it: the NULL policy of a reference across databases.
   */
  private boolean violatesWithNulls(int nulls, int width) {
    return switch (this.nulls) {
      case IGNORE -> false;
      case VIOLATION -> true;
      case MATCH_FULL -> nulls < width;
    };
  }

  private ViolationScan query(
      TableColumns.Bound c, TableColumns.Bound p, List<TypeAlignment.Pair> pairs, int sampleSize) {
    List<Field<Object>> childFields = QueryParts.fields("c", c.columns());
    ParentJoin parentJoin = ParentJoin.of(p, "p");
    Table<?> source =
        QueryParts.table(c.table(), "c")
            .leftJoin(parentJoin.table())
            .on(parentJoin.on(childFields, pairs, compareAsText));

    Condition parentMissing = parentJoin.missing();
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
    return new ViolationScan(
            QueryParts.relations(c.table(), p.table()),
            source,
            c.filter().orElse(DSL.noCondition()),
            violation,
            QueryParts.samples(c.table(), "c", c.columns()),
            sampleSize,
            List.of())
        // one row of the child per row of the source (the parent side is unique or DISTINCT),
        // so the child can be split into key ranges: chunked and incremental runs
        .rangedOver(c.table(), "c")
        .withSemiJoin(
            QueryParts.table(c.table(), "c"),
            semiJoinViolation(childFields, p, pairs),
            p.table().estimatedRows());
  }

  /**
   * The same violation on the child alone: {@code (c.k, ...) IN (SELECT p.k, ... FROM parent p
   * WHERE <parent filter> AND p.k IS NOT NULL ...)}, which PostgreSQL runs as a hashed subplan (a
   * hash table of the parent's keys probed once per child row). The parent's keys are never NULL
   * there, so with non-NULL child columns the IN is exactly true or false.
   */
  private Condition semiJoinViolation(
      List<Field<Object>> childFields, TableColumns.Bound p, List<TypeAlignment.Pair> pairs) {
    List<Field<Object>> parentFields = QueryParts.fields("p", p.columns());
    List<Field<?>> childKeys = new ArrayList<>();
    List<Field<?>> parentKeys = new ArrayList<>();
    Condition parentPresent = p.filter().orElse(DSL.noCondition());
    for (int i = 0; i < childFields.size(); i++) {
      childKeys.add(TypeAlignment.comparable(childFields.get(i), pairs.get(i), compareAsText));
      parentKeys.add(TypeAlignment.comparable(parentFields.get(i), pairs.get(i), compareAsText));
      parentPresent = parentPresent.and(parentFields.get(i).isNotNull());
    }
    var parentRows =
        DSL.select(parentKeys).from(QueryParts.table(p.table(), "p")).where(parentPresent);
    Condition found = DSL.row(childKeys).in(parentRows);
    Condition parentMissing = found.not();
    Condition allPresent = DSL.and(childFields.stream().map(Field::isNotNull).toList());
    Condition anyNull = DSL.or(childFields.stream().map(Field::isNull).toList());
    return switch (nulls) {
      case IGNORE -> allPresent.and(parentMissing);
      case VIOLATION -> anyNull.or(parentMissing);
      case MATCH_FULL ->
          allPresent
              .and(parentMissing)
              .or(anyNull.and(DSL.or(childFields.stream().map(Field::isNotNull).toList())));
    };
  }
}
