package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.Constraint;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.Entry;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Node.ScalarNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code kind: schema} — the schema itself, read from the catalog only (no query touches a user
 * table): required extensions, tables, columns (optionally with their types), named constraints and
 * indexes, minimum numbers of foreign keys and CHECK constraints, and the type alignment of every
 * declared foreign key and of every reference the target's other audits declare.
 *
 * <p>Its "violations" are the missing or mismatched items, its rows checked the items checked, and
 * each sample names an item and its problem. The catalog is read again at every run (see {@link
 * SchemaCheck}), so a schema audit reports the schema as it is when it runs.
 *
 * @param schemas where to look for foreign keys and CHECK constraints when {@code tables} is not
 *     given; empty for the search path
 */
public record SchemaSpec(
    List<String> extensions,
    List<QualifiedName> tables,
    List<ColumnCheck> columns,
    List<ConstraintCheck> constraints,
    List<IndexCheck> indexes,
    Optional<CountCheck> minForeignKeys,
    Optional<CountCheck> minCheckConstraints,
    List<String> schemas,
    boolean alignForeignKeys,
    boolean alignReferences)
    implements AuditSpec {

  public static final String KIND = "schema";

  /** {@code type_alignment}: which declared references have their column types compared. */
  enum Alignment {
    ALL,
    FOREIGN_KEYS,
    REFERENCES,
    NONE;

    boolean foreignKeys() {
      return this == ALL || this == FOREIGN_KEYS;
    }

    boolean references() {
      return this == ALL || this == REFERENCES;
    }
  }

  public SchemaSpec {
    extensions = List.copyOf(extensions);
    tables = List.copyOf(tables);
    columns = List.copyOf(columns);
    constraints = List.copyOf(constraints);
    indexes = List.copyOf(indexes);
    schemas = List.copyOf(schemas);
  }

  /** A column that must exist, optionally with a type ({@code uuid}, {@code varchar(64)}...). */
  public record ColumnCheck(QualifiedName table, String column, Optional<String> type) {}

  /** A named constraint that must exist on a table, optionally of a given type. */
  public record ConstraintCheck(QualifiedName table, String name, Optional<Constraint.Type> type) {}

  /** A named index that must exist on a table, optionally unique, partial, on given columns. */
  public record IndexCheck(
      QualifiedName table,
      String name,
      Optional<Boolean> unique,
      Optional<Boolean> partial,
      Optional<List<String>> columns) {}

  /**
   * At least {@code min} foreign keys (or CHECK constraints) on the given tables, else those of the
   * given schemas, else the audit's scope.
   */
  public record CountCheck(long min, List<QualifiedName> tables, List<String> schemas) {}

  @Override
  public String kind() {
    return KIND;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    List<String> extensions = fields.stringList("extensions");
    List<QualifiedName> tables = tableNames(fields, "tables");
    List<ColumnCheck> columns = columns(fields);
    List<ConstraintCheck> constraints = new ArrayList<>();
    for (Fields item : fields.mapList("constraints")) {
      Optional<QualifiedName> table = TableColumns.tableName(item, "table");
      String name = item.requiredString("name");
      Optional<Constraint.Type> type = item.oneOf("type", Constraint.Type.class);
      item.rejectUnknown();
      if (table.isPresent() && name != null) {
        constraints.add(new ConstraintCheck(table.get(), name, type));
      }
    }
    List<IndexCheck> indexes = new ArrayList<>();
    for (Fields item : fields.mapList("indexes")) {
      Optional<QualifiedName> table = TableColumns.tableName(item, "table");
      String name = item.requiredString("name");
      Optional<Boolean> unique = item.bool("unique");
      Optional<Boolean> partial = item.bool("partial");
      Optional<List<String>> keyColumns =
          item.has("columns")
              ? Optional.of(Source.columnList(item, "columns", true))
              : Optional.empty();
      item.rejectUnknown();
      if (table.isPresent() && name != null) {
        indexes.add(new IndexCheck(table.get(), name, unique, partial, keyColumns));
      }
    }
    Optional<CountCheck> minForeignKeys = count(fields, "min_foreign_keys");
    Optional<CountCheck> minChecks = count(fields, "min_check_constraints");
    List<String> schemas = fields.stringList("schemas");
    Alignment alignment = fields.oneOf("type_alignment", Alignment.class).orElse(Alignment.ALL);
    if (extensions.isEmpty()
        && tables.isEmpty()
        && columns.isEmpty()
        && constraints.isEmpty()
        && indexes.isEmpty()
        && minForeignKeys.isEmpty()
        && minChecks.isEmpty()
        && alignment == Alignment.NONE) {
      fields.problem(
          "extensions",
          "a schema audit needs something to check: extensions, tables, columns, constraints,"
              + " indexes, min_foreign_keys, min_check_constraints or type_alignment");
      return Optional.empty();
    }
    return Optional.of(
        new SchemaSpec(
            extensions,
            tables,
            columns,
            constraints,
            indexes,
            minForeignKeys,
            minChecks,
            schemas,
            alignment.foreignKeys(),
            alignment.references()));
  }

  private static List<QualifiedName> tableNames(Fields fields, String key) {
    List<QualifiedName> names = new ArrayList<>();
    for (String text : fields.stringList(key)) {
      try {
        names.add(QualifiedName.parse(text));
      } catch (IllegalArgumentException e) {
        fields.problem(key, "'" + text + "': " + e.getMessage());
      }
    }
    return names;
  }

  /** {@code columns: {table: [a, b], other: {c: uuid, d: text}}}. */
  private static List<ColumnCheck> columns(Fields fields) {
    Optional<Fields> section = fields.map("columns");
    List<ColumnCheck> checks = new ArrayList<>();
    if (section.isEmpty()) {
      return checks;
    }
    for (Entry entry : section.get().entries().values()) {
      QualifiedName table;
      try {
        table = QualifiedName.parse(entry.key());
      } catch (IllegalArgumentException e) {
        section.get().problem(entry.key(), e.getMessage());
        continue;
      }
      Node value = entry.value();
      if (value instanceof ListNode list) {
        for (Node item : list.items()) {
          if (item instanceof ScalarNode scalar && !scalar.isNull()) {
            checks.add(new ColumnCheck(table, scalar.text(), Optional.empty()));
          } else {
            section.get().problem(entry.key(), "expected column names, found " + item.shape());
          }
        }
      } else if (value instanceof MapNode map) {
        for (Entry column : map.entries().values()) {
          if (column.value() instanceof ScalarNode scalar) {
            checks.add(
                new ColumnCheck(
                    table,
                    column.key(),
                    scalar.isNull() ? Optional.empty() : Optional.of(scalar.text())));
          } else {
            section
                .get()
                .problem(
                    entry.key(),
                    "expected column: type, found "
                        + column.value().shape()
                        + " for "
                        + column.key());
          }
        }
      } else {
        section
            .get()
            .problem(
                entry.key(),
                "expected a list of columns or a mapping of column: type, found " + value.shape());
      }
    }
    return checks;
  }

  /** {@code key: 45} or {@code key: {count: 45, tables: [...]}} or {@code {count, schemas}}. */
  private static Optional<CountCheck> count(Fields fields, String key) {
    Optional<Node> node = fields.node(key);
    if (node.isEmpty()) {
      return Optional.empty();
    }
    if (node.get() instanceof MapNode) {
      Fields section = fields.map(key).orElseThrow();
      Optional<Long> min = section.integer("count", 0, Integer.MAX_VALUE);
      if (!section.has("count")) {
        section.problem("count", "is required: the minimum number");
      }
      List<QualifiedName> tables = tableNames(section, "tables");
      List<String> schemas = section.stringList("schemas");
      if (!tables.isEmpty() && !schemas.isEmpty()) {
        section.problem("schemas", "set either tables or schemas, not both");
      }
      section.rejectUnknown();
      return min.map(m -> new CountCheck(m, tables, schemas));
    }
    return fields
        .integer(key, 0, Integer.MAX_VALUE)
        .map(m -> new CountCheck(m, List.of(), List.of()));
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    return Optional.of(
        new SchemaCheck(
            this,
            alignReferences ? context.declaredReferences() : List.of(),
            context.sampleSize()));
  }
}
