package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.DeclaredReference;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.ColumnType;
import io.integrityauditor.catalog.Constraint;
import io.integrityauditor.catalog.IndexInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jooq.DSLContext;

/**
 * Runs a {@link SchemaSpec}: reads the catalog afresh (the same fixed pg_catalog queries as
 * validation, inside the audit's READ ONLY transaction and timeouts) and checks every item against
 * it. Each item is one "row checked"; each missing or mismatched item is one violation whose sample
 * is {@code {"item": ..., "problem": ...}}.
 */
final class SchemaCheck implements AuditQuery {
  /** Common spellings of type names, to the internal names {@code pg_type} uses. */
  private static final Map<String, String> TYPE_ALIASES =
      Map.ofEntries(
          Map.entry("int", "int4"),
          Map.entry("integer", "int4"),
          Map.entry("serial", "int4"),
          Map.entry("bigint", "int8"),
          Map.entry("bigserial", "int8"),
          Map.entry("smallint", "int2"),
          Map.entry("boolean", "bool"),
          Map.entry("character varying", "varchar"),
          Map.entry("character", "bpchar"),
          Map.entry("char", "bpchar"),
          Map.entry("timestamp with time zone", "timestamptz"),
          Map.entry("timestamp without time zone", "timestamp"),
          Map.entry("time with time zone", "timetz"),
          Map.entry("time without time zone", "time"),
          Map.entry("decimal", "numeric"),
          Map.entry("real", "float4"),
          Map.entry("double precision", "float8"),
          Map.entry("float", "float8"));

  private final SchemaSpec spec;
  private final List<DeclaredReference> references;
  private final int sampleSize;

  SchemaCheck(SchemaSpec spec, List<DeclaredReference> references, int sampleSize) {
    this.spec = spec;
    this.references = List.copyOf(references);
    this.sampleSize = sampleSize;
  }

  @Override
  public Measurement execute(DSLContext context) {
    return evaluate(context.connectionResult(CatalogReader::read));
  }

  @Override
  public List<String> sql(DSLContext context) {
    return CatalogReader.queries();
  }

  @Override
  public List<String> relations() {
    return List.of("pg_catalog");
  }

  /** One checked item: its name, and what is wrong with it (null when fine). */
  private record Item(String name, String problem) {}

  Measurement evaluate(Catalog catalog) {
    List<Item> items = new ArrayList<>();
    for (String extension : spec.extensions()) {
      items.add(
          new Item(
              "extension " + extension,
              catalog.extensions().containsKey(extension) ? null : "not installed"));
    }
    for (QualifiedName name : spec.tables()) {
      items.add(new Item("table " + name, table(catalog, name).isPresent() ? null : "missing"));
    }
    for (SchemaSpec.ColumnCheck check : spec.columns()) {
      items.add(column(catalog, check));
    }
    for (SchemaSpec.ConstraintCheck check : spec.constraints()) {
      items.add(constraint(catalog, check));
    }
    for (SchemaSpec.IndexCheck check : spec.indexes()) {
      items.add(index(catalog, check));
    }
    spec.minForeignKeys()
        .ifPresent(c -> items.add(count(catalog, c, Constraint.Type.FOREIGN_KEY, "foreign keys")));
    spec.minCheckConstraints()
        .ifPresent(c -> items.add(count(catalog, c, Constraint.Type.CHECK, "check constraints")));
    if (spec.alignForeignKeys()) {
      for (TableInfo table : scope(catalog, spec.tables(), spec.schemas())) {
        for (Constraint key : table.foreignKeys()) {
          items.add(foreignKey(catalog, table, key));
        }
      }
    }
    items.addAll(references(catalog));

    List<SampleKey> samples = new ArrayList<>();
    long violations = 0;
    for (Item item : items) {
      if (item.problem() != null) {
        violations++;
        if (samples.size() < sampleSize) {
          Map<String, String> values = new LinkedHashMap<>();
          values.put("item", item.name());
          values.put("problem", item.problem());
          samples.add(new SampleKey(values));
        }
      }
    }
    return new Measurement(violations, items.size(), samples);
  }

  private static Optional<TableInfo> table(Catalog catalog, QualifiedName name) {
    return catalog.resolve(name).table();
  }

  private static Item column(Catalog catalog, SchemaSpec.ColumnCheck check) {
    String name = "column " + check.table() + "." + check.column();
    Optional<TableInfo> table = table(catalog, check.table());
    if (table.isEmpty()) {
      return new Item(name, "table " + check.table() + " is missing");
    }
    Optional<ColumnInfo> column = table.get().column(check.column());
    if (column.isEmpty()) {
      return new Item(name, "missing");
    }
    if (check.type().isPresent() && !typeMatches(check.type().get(), column.get().type())) {
      return new Item(name, "is " + column.get().type() + ", expected " + check.type().get());
    }
    return new Item(name, null);
  }

  /**
   * {@code uuid}, {@code integer}/{@code int4}, {@code varchar(64)}, {@code timestamptz}, a
   * domain's name, or exactly what {@code format_type} prints.
   */
  static boolean typeMatches(String expected, ColumnType actual) {
    String written = expected.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    if (written.equals(actual.declared().toLowerCase(Locale.ROOT))) {
      return true;
    }
    int paren = written.indexOf('(');
    String base = (paren < 0 ? written : written.substring(0, paren)).trim();
    String modifier = paren < 0 ? "" : written.substring(paren).replace(" ", "");
    if (!TYPE_ALIASES.getOrDefault(base, base).equals(actual.baseName())) {
      return false;
    }
    return modifier.isEmpty()
        || actual.declared().toLowerCase(Locale.ROOT).replace(" ", "").contains(modifier);
  }

  private static Item constraint(Catalog catalog, SchemaSpec.ConstraintCheck check) {
    String name = "constraint " + check.table() + "." + check.name();
    Optional<TableInfo> table = table(catalog, check.table());
    if (table.isEmpty()) {
      return new Item(name, "table " + check.table() + " is missing");
    }
    Optional<Constraint> found =
        table.get().constraints().stream().filter(c -> c.name().equals(check.name())).findFirst();
    if (found.isEmpty()) {
      return new Item(name, "missing");
    }
    if (check.type().isPresent() && found.get().type() != check.type().get()) {
      return new Item(
          name, "is " + label(found.get().type()) + ", expected " + label(check.type().get()));
    }
    return new Item(name, null);
  }

  private static String label(Constraint.Type type) {
    return type.name().toLowerCase(Locale.ROOT);
  }

  private static Item index(Catalog catalog, SchemaSpec.IndexCheck check) {
    String name = "index " + check.table() + "." + check.name();
    Optional<TableInfo> table = table(catalog, check.table());
    if (table.isEmpty()) {
      return new Item(name, "table " + check.table() + " is missing");
    }
    Optional<IndexInfo> found =
        table.get().indexes().stream().filter(i -> i.name().equals(check.name())).findFirst();
    if (found.isEmpty()) {
      return new Item(name, "missing");
    }
    List<String> wrong = new ArrayList<>();
    IndexInfo index = found.get();
    check
        .unique()
        .filter(u -> u != index.unique())
        .ifPresent(u -> wrong.add(u ? "not unique" : "unique"));
    check
        .partial()
        .filter(p -> p != index.partial())
        .ifPresent(p -> wrong.add(p ? "not partial (no WHERE)" : "partial"));
    check
        .columns()
        .filter(columns -> !columns.equals(index.columns()))
        .ifPresent(
            columns ->
                wrong.add(
                    "on ("
                        + (index.columns().isEmpty()
                            ? "expressions"
                            : String.join(", ", index.columns()))
                        + "), expected ("
                        + String.join(", ", columns)
                        + ")"));
    return new Item(name, wrong.isEmpty() ? null : "is " + String.join(", ", wrong));
  }

  /**
   * Tables of a count or of the type alignment: the listed tables, else the tables of the listed
   * schemas, else those of the search path. Partitions are left out: their constraints are copies
   * of the partitioned table's.
   */
  private static List<TableInfo> scope(
      Catalog catalog, List<QualifiedName> tables, List<String> schemas) {
    if (!tables.isEmpty()) {
      return tables.stream().flatMap(t -> table(catalog, t).stream()).distinct().toList();
    }
    List<String> where = schemas.isEmpty() ? catalog.searchPath() : schemas;
    return catalog.allTables().stream()
        .filter(t -> where.contains(t.id().schema()))
        .filter(t -> !t.isPartition())
        .filter(
            t -> t.kind() == TableInfo.Kind.TABLE || t.kind() == TableInfo.Kind.PARTITIONED_TABLE)
        .toList();
  }

  private Item count(
      Catalog catalog, SchemaSpec.CountCheck check, Constraint.Type type, String what) {
    List<QualifiedName> tables = check.tables();
    List<String> schemas = check.schemas();
    if (tables.isEmpty() && schemas.isEmpty()) {
      tables = spec.tables();
      schemas = spec.schemas();
    }
    List<TableInfo> scope = scope(catalog, tables, schemas);
    long found =
        scope.stream().flatMap(t -> t.constraints().stream()).filter(c -> c.type() == type).count();
    String where =
        !tables.isEmpty()
            ? scope.size() + " listed tables"
            : "the tables of "
                + String.join(", ", schemas.isEmpty() ? catalog.searchPath() : schemas);
    return new Item(
        what + " on " + where,
        found >= check.min() ? null : "found " + found + ", expected at least " + check.min());
  }

  private static Item foreignKey(Catalog catalog, TableInfo table, Constraint key) {
    String name =
        "foreign key "
            + table.id().name()
            + "."
            + key.name()
            + " ("
            + String.join(", ", key.columns())
            + ") -> "
            + key.referencedTable().map(t -> t.name()).orElse("?")
            + " ("
            + String.join(", ", key.referencedColumns())
            + ")";
    Optional<TableInfo> parent = key.referencedTable().flatMap(catalog::table);
    if (parent.isEmpty()) {
      // the referenced table is not readable by the audit role: nothing to compare
      return new Item(name, null);
    }
    List<TypeAlignment.Pair> pairs = new ArrayList<>();
    for (int i = 0; i < key.columns().size(); i++) {
      Optional<ColumnInfo> from = table.column(key.columns().get(i));
      Optional<ColumnInfo> to = parent.get().column(key.referencedColumns().get(i));
      if (from.isPresent() && to.isPresent()) {
        pairs.add(new TypeAlignment.Pair(table, from.get(), parent.get(), to.get()));
      }
    }
    return new Item(name, mismatch(pairs));
  }

  private static String mismatch(List<TypeAlignment.Pair> pairs) {
    List<String> mismatched =
        pairs.stream().filter(p -> !p.aligned()).map(TypeAlignment.Pair::describe).toList();
    return mismatched.isEmpty() ? null : "type mismatch: " + String.join("; ", mismatched);
  }

  /**
   * The references declared by the target's audits, each once (however many audits declare it).
   * References that do not resolve are skipped: their own audit reports them.
   */
  private List<Item> references(Catalog catalog) {
    Map<String, List<TypeAlignment.Pair>> byReference = new LinkedHashMap<>();
    Map<String, List<String>> audits = new LinkedHashMap<>();
    for (DeclaredReference reference : references) {
      Optional<TableInfo> child = table(catalog, reference.child().table());
      Optional<TableInfo> parent = table(catalog, reference.parent().table());
      if (child.isEmpty()
          || parent.isEmpty()
          || reference.child().columns().size() != reference.parent().columns().size()) {
        continue;
      }
      List<TypeAlignment.Pair> pairs = new ArrayList<>();
      for (int i = 0; i < reference.child().columns().size(); i++) {
        Optional<ColumnInfo> from = child.get().column(reference.child().columns().get(i));
        Optional<ColumnInfo> to = parent.get().column(reference.parent().columns().get(i));
        if (from.isEmpty() || to.isEmpty()) {
          pairs = null;
          break;
        }
        pairs.add(new TypeAlignment.Pair(child.get(), from.get(), parent.get(), to.get()));
      }
      if (pairs == null) {
        continue;
      }
      String name =
          "reference "
              + describe(child.get(), pairs.stream().map(p -> p.child().name()).toList())
              + " -> "
              + describe(parent.get(), pairs.stream().map(p -> p.parent().name()).toList());
      byReference.putIfAbsent(name, pairs);
      audits.computeIfAbsent(name, n -> new ArrayList<>()).add(reference.auditId());
    }
    List<Item> items = new ArrayList<>();
    byReference.forEach(
        (name, pairs) ->
            items.add(
                new Item(
                    name
                        + " (audit"
                        + (audits.get(name).size() == 1 ? " " : "s ")
                        + audits.get(name).stream()
                            .distinct()
                            .map(id -> "'" + id + "'")
                            .collect(Collectors.joining(", "))
                        + ")",
                    mismatch(pairs))));
    return items;
  }

  private static String describe(TableInfo table, List<String> columns) {
    return table.id().name() + "(" + String.join(", ", columns) + ")";
  }
}
