package io.integrityauditor.catalog;

import static java.util.stream.Collectors.joining;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a {@link Catalog} from {@code pg_catalog} in a handful of fixed queries (no user input is
 * ever part of their text). The caller owns the connection and its read-only transaction.
 *
 * <p>Deparsing functions that lock the table ({@code pg_get_indexdef}, {@code pg_get_expr}) are
 * avoided: a migration holding ACCESS EXCLUSIVE on one table must not stall catalog reads.
 */
public final class CatalogReader {
  private static final String USER_SCHEMAS =
      "n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

  private static final String RELATIONS =
      "SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint, pn.nspname, p.relname,"
          // the first table an INHERITS child (not a partition) inherits from: its key is the
          // child's
          + " (SELECT h.inhparent FROM pg_inherits h WHERE NOT c.relispartition AND h.inhrelid = c.oid"
          + "   ORDER BY h.inhseqno LIMIT 1),"
          // whether the role may read it: validate warns before every run fails on it
          + " has_schema_privilege(n.oid, 'USAGE') AND has_any_column_privilege(c.oid, 'SELECT')"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          // a partition has exactly one parent
          + " LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid"
          + " LEFT JOIN pg_class p ON p.oid = i.inhparent"
          + " LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace"
          + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND "
          + USER_SCHEMAS;

  private static final String COLUMNS =
      "SELECT a.attrelid, a.attname, a.attnum, a.attnotnull, format_type(a.atttypid, a.atttypmod),"
          + " bn.nspname, b.typname, b.typcategory, b.typtype = 'e'"
          + " FROM pg_attribute a"
          + " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " JOIN pg_type t ON t.oid = a.atttypid"
          + " JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
          + " JOIN pg_namespace bn ON bn.oid = b.typnamespace"
          + " WHERE a.attnum > 0 AND NOT a.attisdropped"
          + " AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND "
          + USER_SCHEMAS
          + " ORDER BY a.attrelid, a.attnum";

  private static final String CONSTRAINTS =
      "SELECT con.conrelid, con.conname, con.contype,"
          + " ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)"
          + "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),"
          + " fn.nspname, f.relname,"
          + " ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)"
          + "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),"
          // pg_get_constraintdef deparses CHECK and EXCLUDE expressions by opening the table, which
          // waits behind an ACCESS EXCLUSIVE lock: only keys and foreign keys are deparsed
          + " CASE WHEN con.contype IN ('p', 'u', 'f') THEN pg_get_constraintdef(con.oid)"
          + "  WHEN con.contype = 'c' THEN 'CHECK (...)' ELSE 'EXCLUDE (...)' END"
          + " FROM pg_constraint con"
          + " JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " LEFT JOIN pg_class f ON f.oid = con.confrelid"
          + " LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace"
          + " WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND "
          + USER_SCHEMAS
          + " ORDER BY con.conrelid, con.conname";

  private static final String INDEXES =
      "SELECT i.indrelid, ic.relname, i.indisunique, i.indpred IS NOT NULL,"
          + " CASE WHEN 0 = ANY (i.indkey::int2[]) THEN ARRAY[]::text[] ELSE"
          + "  ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)"
          + "   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num"
          + "   WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) END,"
          // the first column's collation when not the default: it decides which ranges it answers
          + " (SELECT co.collname::text FROM pg_collation co WHERE co.oid = i.indcollation[0]"
          + "   AND co.collname <> 'default')"
          + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
          + " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE "
          + USER_SCHEMAS
          + " ORDER BY i.indrelid, ic.relname";

  /**
   * The search path as configured, its existing schemas in order: not {@code
   * current_schemas(false)}, which leaves out the schemas the role has no USAGE on. With the
   * README's grants missing, a table of such a schema then "did not exist in the search path ()",
   * and the advice was to write its schema (newuser23: 20 lines for 11 audits), where the fix is
   * the two grants, which binding names once per schema when it resolves the table.
   */
  private static final String SETTINGS =
      "SELECT ARRAY(SELECT s.name FROM (SELECT DISTINCT ON (x.name) x.name, x.ord FROM (SELECT"
          + " CASE WHEN e IN ('$user', '\"$user\"') THEN current_user::text"
          + " WHEN e LIKE '\"%\"' THEN replace(substr(e, 2, length(e) - 2), '\"\"', '\"')"
          + " ELSE lower(e) END AS name, p.ord"
          + " FROM unnest(string_to_array(current_setting('search_path'), ','))"
          + " WITH ORDINALITY AS p(raw, ord), LATERAL btrim(p.raw) AS e) x"
          + " ORDER BY x.name, x.ord) s"
          + " WHERE EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = s.name) ORDER BY s.ord),"
          + " current_setting('server_version_num')::int, current_user";

  private static final String EXTENSIONS = "SELECT extname, extversion FROM pg_extension";

  private CatalogReader() {}

  /** The statements {@link #read} runs, in order (for {@code explain} of a schema audit). */
  public static List<String> queries() {
    return List.of(RELATIONS, COLUMNS, CONSTRAINTS, INDEXES, SETTINGS, EXTENSIONS);
  }

  public static Catalog read(Connection connection) throws SQLException {
    Map<Long, TableShell> shells = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(RELATIONS);
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        Optional<TableId> parent =
            rows.getString(7) == null
                ? Optional.empty()
                : Optional.of(new TableId(rows.getString(6), rows.getString(7)));
        shells.put(
            rows.getLong(1),
            new TableShell(
                new TableId(rows.getString(2), rows.getString(3)),
                TableInfo.Kind.fromCode(rows.getString(4)),
                parent,
                rows.getLong(5),
                rows.getLong(8),
                rows.getBoolean(9)));
      }
    }
    try (PreparedStatement statement = connection.prepareStatement(COLUMNS);
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        TableShell shell = shells.get(rows.getLong(1));
        if (shell != null) {
          String category = rows.getString(8);
          shell.columns.add(
              new ColumnInfo(
                  rows.getString(2),
                  rows.getInt(3),
                  rows.getBoolean(4),
                  new ColumnType(
                      rows.getString(5),
                      rows.getString(6),
                      rows.getString(7),
                      category == null || category.isEmpty() ? 'X' : category.charAt(0),
                      rows.getBoolean(9))));
        }
      }
    }
    try (PreparedStatement statement = connection.prepareStatement(CONSTRAINTS);
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        TableShell shell = shells.get(rows.getLong(1));
        if (shell != null) {
          Optional<TableId> referenced =
              rows.getString(6) == null
                  ? Optional.empty()
                  : Optional.of(new TableId(rows.getString(5), rows.getString(6)));
          shell.constraints.add(
              new Constraint(
                  rows.getString(2),
                  Constraint.Type.fromCode(rows.getString(3)),
                  strings(rows.getArray(4)),
                  referenced,
                  strings(rows.getArray(7)),
                  rows.getString(8)));
        }
      }
    }
    try (PreparedStatement statement = connection.prepareStatement(INDEXES);
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        TableShell shell = shells.get(rows.getLong(1));
        if (shell != null) {
          boolean unique = rows.getBoolean(3);
          boolean partial = rows.getBoolean(4);
          List<String> columns = strings(rows.getArray(5));
          String collation = rows.getString(6);
          String definition =
              (unique ? "UNIQUE INDEX " : "INDEX ")
                  + rows.getString(2)
                  + " ("
                  + (columns.isEmpty()
                      ? "expressions"
                      : columns.get(0)
                          + (collation == null ? "" : " COLLATE \"" + collation + "\"")
                          + columns.stream()
                              .skip(1)
                              .map(column -> ", " + column)
                              .collect(joining()))
                  + ")"
                  + (partial ? " WHERE ..." : "");
          shell.indexes.add(new IndexInfo(rows.getString(2), unique, partial, columns, definition));
        }
      }
    }
    List<String> searchPath = new ArrayList<>();
    Map<String, String> extensions = new HashMap<>();
    int version;
    String role;
    try (PreparedStatement statement = connection.prepareStatement(SETTINGS);
        ResultSet rows = statement.executeQuery()) {
      rows.next();
      searchPath.addAll(strings(rows.getArray(1)));
      version = rows.getInt(2);
      role = rows.getString(3);
    }
    try (PreparedStatement statement = connection.prepareStatement(EXTENSIONS);
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        extensions.put(rows.getString(1), rows.getString(2));
      }
    }
    TreeMap<TableId, TableInfo> tables = new TreeMap<>();
    for (TableShell shell : shells.values()) {
      TableInfo table =
          shell.build(
              inheritedKey(shells, shell),
              Optional.ofNullable(shells.get(shell.inheritsFrom)).map(parent -> parent.id));
      tables.put(table.id(), table);
    }
    return new Catalog(tables, searchPath, extensions, version, role);
  }

  /**
   * The primary key of the nearest ancestor the table {@code INHERITS} from that declares one (a
   * grandchild of old-style partitioning inherits its key through a child that has none).
   */
  private static List<String> inheritedKey(Map<Long, TableShell> shells, TableShell shell) {
    Set<Long> seen = new HashSet<>();
    long ancestor = shell.inheritsFrom;
    while (ancestor != 0 && seen.add(ancestor) && shells.containsKey(ancestor)) {
      TableShell table = shells.get(ancestor);
      Optional<Constraint> key =
          table.constraints.stream()
              .filter(c -> c.type() == Constraint.Type.PRIMARY_KEY)
              .findFirst();
      if (key.isPresent()) {
        return key.get().columns();
      }
      ancestor = table.inheritsFrom;
    }
    return List.of();
  }

  private static List<String> strings(Array array) throws SQLException {
    if (array == null) {
      return List.of();
    }
    Object[] values = (Object[]) array.getArray();
    List<String> strings = new ArrayList<>(values.length);
    for (Object value : values) {
      strings.add(String.valueOf(value));
    }
    return strings;
  }

  /** Mutable accumulator used only while reading. */
  private static final class TableShell {
    final TableId id;
    final TableInfo.Kind kind;
    final Optional<TableId> partitionOf;
    final long estimatedRows;
    final long inheritsFrom; // oid, 0 when none
    final boolean readable;
    final List<ColumnInfo> columns = new ArrayList<>();
    final List<Constraint> constraints = new ArrayList<>();
    final List<IndexInfo> indexes = new ArrayList<>();

    TableShell(
        TableId id,
        TableInfo.Kind kind,
        Optional<TableId> partitionOf,
        long estimatedRows,
        long inheritsFrom,
        boolean readable) {
      this.id = id;
      this.kind = kind;
      this.partitionOf = partitionOf;
      this.estimatedRows = estimatedRows;
      this.inheritsFrom = inheritsFrom;
      this.readable = readable;
    }

    TableInfo build(List<String> inheritedKey, Optional<TableId> inheritsFrom) {
      return new TableInfo(
          id,
          kind,
          partitionOf,
          estimatedRows,
          columns,
          constraints,
          indexes,
          inheritedKey,
          readable,
          inheritsFrom);
    }
  }
}
