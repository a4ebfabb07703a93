package io.integrityauditor.suggest;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills every table of a database with generated rows whose references hold, for schemas published
 * without data. Each value is a pure function of the row number {@code i} ({@code 1..rows}), so a
 * reference is consistent by construction: the child's row {@code i} holds the value the parent's
 * row {@code m(i)} holds in its key column, whatever the order of insertion. That is why the
 * foreign keys are read first and dropped before filling (cycles and self-references need no
 * ordering).
 *
 * <p>Tables get between 40 and 200 rows (from a hash of their name, so runs are identical); about
 * one value in ten of a nullable column is NULL. A table whose generated rows break one of its
 * constraints (a check, a unique key over columns of a small parent) is retried with as many rows
 * as its smallest parent, then left empty and listed in {@link Filled#empty()}.
 */
final class PlausibleData {
  private PlausibleData() {}

  /**
   * A declared foreign key: child columns and the parent columns they match, in order; a key of a
   * partition is its partitioned table's (the generator fills the partitioned table).
   */
  record ForeignKey(
      String name,
      long child,
      List<String> childColumns,
      long parent,
      List<String> parentColumns) {}

  /** A column as the generator needs it. */
  private record Column(
      String name,
      boolean notNull,
      boolean identity,
      boolean generated,
      String type,
      char typeType,
      char category,
      int length,
      boolean unique,
      List<String> allowed) {
    /**
     * @param allowed SQL literals its single-column {@code CHECK} constraints accept (empty: no
     *     such check, or none of the tried values passes it); generated values are taken from them
     */
    Column {
      allowed = List.copyOf(allowed);
    }

    Column allowing(List<String> values) {
      return new Column(
          name, notNull, identity, generated, type, typeType, category, length, unique, values);
    }

    Column narrowed(int to) {
      return new Column(
          name, notNull, identity, generated, type, typeType, category, to, unique, allowed);
    }
  }

  /**
   * A table to fill.
   *
   * @param timeBase the SQL expression time values start from: the start of the lowest range
   *     partition (plus a day, whatever the session's time zone) for a partitioned table, so its
   *     rows find a partition (Pagila's {@code payment} holds only 2022)
   */
  private record Table(
      long oid, String qualified, int rows, List<Column> columns, String timeBase) {}

  /**
   * What filling did.
   *
   * @param rows rows inserted per table
   * @param empty tables left empty, with the reason
   * @param checksDropped tables filled only once their checks (and their columns' domain checks)
   *     were dropped, with the checks' names
   */
  record Filled(
      Map<String, Integer> rows, Map<String, String> empty, Map<String, String> checksDropped) {}

  /** Drops the table's check constraints and those of its columns' domains; returns their names. */
  private static List<String> dropChecks(Connection connection, Table table) throws SQLException {
    String sql =
        """
        SELECT 'ALTER TABLE ' || c.conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(c.conname),
               c.conname
        FROM pg_constraint c WHERE c.contype = 'c' AND c.conrelid = ?
        UNION ALL
        SELECT DISTINCT 'ALTER DOMAIN ' || c.contypid::regtype || ' DROP CONSTRAINT '
                        || quote_ident(c.conname), c.conname
        FROM pg_attribute a JOIN pg_constraint c ON c.contypid = a.atttypid AND c.contype = 'c'
        WHERE a.attrelid = ? AND a.attnum > 0
        """;
    List<String> statements = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (java.sql.PreparedStatement query = connection.prepareStatement(sql)) {
      query.setLong(1, table.oid());
      query.setLong(2, table.oid());
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          statements.add(rows.getString(1));
          names.add(rows.getString(2));
        }
      }
    }
    try (Statement statement = connection.createStatement()) {
      for (String drop : statements) {
        statement.execute(drop);
      }
    }
    return names;
  }

  /** The foreign keys of the database (those of partitions belong to their partitioned table). */
  static List<ForeignKey> foreignKeys(Connection connection) throws SQLException {
    List<ForeignKey> keys = new ArrayList<>();
    String sql =
        """
        SELECT con.conname,
               COALESCE(pg_partition_root(con.conrelid), con.conrelid)::bigint,
               COALESCE(pg_partition_root(con.confrelid), con.confrelid)::bigint,
               ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                     ORDER BY k.o),
               ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
                     ORDER BY k.o)
        FROM pg_constraint con WHERE con.contype = 'f' AND con.conparentid = 0
        ORDER BY con.conrelid::regclass::text, con.conname
        """;
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        keys.add(
            new ForeignKey(
                rows.getString(1),
                rows.getLong(2),
                List.of((String[]) rows.getArray(4).getArray()),
                rows.getLong(3),
                List.of((String[]) rows.getArray(5).getArray())));
      }
    }
    return keys;
  }

  /** Fills every table (not partitions: their partitioned table routes the rows). */
  static Filled fill(Connection connection, List<ForeignKey> keys) throws SQLException {
    Map<Long, Table> tables = tables(connection);
    narrowKeysToTheirReferences(tables, keys);
    Map<Long, Map<String, ForeignKey>> byColumn = new HashMap<>();
    for (ForeignKey key : keys) {
      for (String column : key.childColumns()) {
        // a column in several keys follows the first (the widest is listed first below)
        byColumn.computeIfAbsent(key.child(), k -> new HashMap<>()).putIfAbsent(column, key);
      }
    }
    Generator generator = new Generator(tables, byColumn);
    Map<String, Integer> filled = new TreeMap<>();
    Map<String, String> empty = new TreeMap<>();
    Map<String, String> checksDropped = new TreeMap<>();
    connection.setAutoCommit(true);
    for (Table table : tables.values()) {
      int smallestParent =
          keys.stream()
              .filter(k -> k.child() == table.oid() && k.parent() != table.oid())
              .mapToInt(k -> tables.get(k.parent()).rows())
              .min()
              .orElse(table.rows());
      String failure = null;
      attempts:
      for (boolean optionalNull : List.of(false, true)) {
        for (int rows : new TreeSet<>(List.of(table.rows(), smallestParent)).descendingSet()) {
          try (Statement statement = connection.createStatement()) {
            statement.execute(generator.insert(table, rows, optionalNull));
            filled.put(table.qualified(), rows);
            failure = null;
            break attempts;
          } catch (SQLException e) {
            failure = e.getMessage().lines().findFirst().orElse(e.getSQLState());
          }
        }
      }
      if (failure != null && failure.contains("check constraint")) {
        // a check over several columns (end_date > start_date, one of two addresses given) or a
        // pattern the generator cannot meet: checks say nothing of references, so the last
        // attempt goes without them rather than leave the table, and every reference into it,
        // empty
        try (Statement statement = connection.createStatement()) {
          List<String> dropped = dropChecks(connection, table);
          statement.execute(generator.insert(table, smallestParent, true));
          filled.put(table.qualified(), smallestParent);
          checksDropped.put(table.qualified(), String.join(", ", dropped));
          failure = null;
        } catch (SQLException e) {
          failure = e.getMessage().lines().findFirst().orElse(e.getSQLState());
        }
      }
      if (failure != null) {
        empty.put(table.qualified(), failure);
      }
    }
    try (Statement statement = connection.createStatement()) {
      statement.execute("ANALYZE");
    }
    return new Filled(filled, empty, checksDropped);
  }

  /**
   * A string key referenced by a narrower column gets values that fit it: USDA's {@code
   * nutr_def.nutr_no char(4)} holds three-digit numbers, as {@code nut_data.nutr_no char(3)} does
   * ({@code '203 '} equals {@code '203'} as {@code char}); four-character values would reach the
   * child cut to three and be found nowhere, a broken reference the real data does not have.
   */
  private static void narrowKeysToTheirReferences(Map<Long, Table> tables, List<ForeignKey> keys) {
    for (ForeignKey key : keys) {
      Table child = tables.get(key.child());
      Table parent = tables.get(key.parent());
      if (child == null || parent == null) {
        continue;
      }
      for (int i = 0; i < key.childColumns().size(); i++) {
        String childName = key.childColumns().get(i);
        String parentName = key.parentColumns().get(i);
        Column childColumn =
            child.columns().stream()
                .filter(c -> c.name().equals(childName))
                .findFirst()
                .orElse(null);
        List<Column> parentColumns = parent.columns();
        for (int j = 0; j < parentColumns.size(); j++) {
          Column parentColumn = parentColumns.get(j);
          if (childColumn != null
              && parentColumn.name().equals(parentName)
              && parentColumn.category() == 'S'
              && childColumn.category() == 'S'
              && childColumn.length() > 0
              && (parentColumn.length() == 0 || childColumn.length() < parentColumn.length())) {
            parentColumns.set(j, parentColumn.narrowed(childColumn.length()));
          }
        }
      }
    }
  }

  /**
   * Deletes 30% of the rows, rounded down (chosen by a hash of the row, so runs are identical), of
   * every second referenced table, in name order: the references into them become broken
   * references.
   *
   * @return the tables deleted from
   */
  static List<String> deleteFromSomeParents(Connection connection, List<ForeignKey> keys)
      throws SQLException {
    Set<String> parents = new TreeSet<>();
    try (Statement statement = connection.createStatement()) {
      for (ForeignKey key : keys) {
        try (ResultSet name =
            statement.executeQuery("SELECT " + key.parent() + "::regclass::text")) {
          name.next();
          parents.add(name.getString(1));
        }
      }
      List<String> chosen = new ArrayList<>();
      int n = 0;
      for (String parent : parents) {
        if (n++ % 2 == 0) {
          statement.execute(
              "DELETE FROM "
                  + parent
                  + " WHERE ctid IN (SELECT t.ctid FROM "
                  + parent
                  + " AS t ORDER BY hashtext(t::text), t.ctid LIMIT (SELECT count(*) * 3 / 10 FROM "
                  + parent
                  + "))");
          chosen.add(parent);
        }
      }
      statement.execute("ANALYZE");
      return chosen;
    }
  }

  /** Empties every table: the schema as published, before any data. */
  static void truncateAll(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          """
          DO $$
          DECLARE r record;
          BEGIN
            FOR r IN SELECT c.oid::regclass AS t FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                       AND n.nspname NOT LIKE 'pg\\_%'
                       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                       WHERE d.objid = c.oid AND d.deptype = 'e')
            LOOP
              EXECUTE format('TRUNCATE %s', r.t);
            END LOOP;
          END $$;
          ANALYZE;
          """);
    }
  }

  /**
   * Whether a table on either side of a foreign key has a row (a Rails schema's {@code
   * schema_migrations} rows are not data).
   */
  static boolean hasData(Connection connection, List<ForeignKey> keys) throws SQLException {
    Set<Long> related = new TreeSet<>();
    keys.forEach(
        k -> {
          related.add(k.child());
          related.add(k.parent());
        });
    for (long oid : related) {
      try (Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery(
                  "SELECT EXISTS (SELECT FROM " + tables(connection).get(oid).qualified() + ")")) {
        rows.next();
        if (rows.getBoolean(1)) {
          return true;
        }
      }
    }
    return false;
  }

  private static Map<Long, Table> tables(Connection connection) throws SQLException {
    String sql =
        """
        SELECT c.oid::bigint, c.oid::regclass::text, a.attname, a.attnotnull,
               a.attidentity <> '', a.attgenerated <> '', format_type(a.atttypid, a.atttypmod),
               t.typtype, t.typcategory,
               CASE WHEN t.typcategory = 'S' AND a.atttypmod > 4 THEN a.atttypmod - 4
                    -- a domain's length is the domain's (pubs' tid, a varchar(6))
                    WHEN t.typcategory = 'S' AND t.typtype = 'd' AND t.typtypmod > 4
                      THEN t.typtypmod - 4
                    ELSE 0 END,
               EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique
                       AND a.attnum = ANY (i.indkey))
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.oid::regclass::text, a.attnum
        """;
    Map<Long, String> names = new LinkedHashMap<>();
    Map<Long, List<Column>> columns = new LinkedHashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        long oid = rows.getLong(1);
        names.put(oid, rows.getString(2));
        columns
            .computeIfAbsent(oid, k -> new ArrayList<>())
            .add(
                new Column(
                    rows.getString(3),
                    rows.getBoolean(4),
                    rows.getBoolean(5),
                    rows.getBoolean(6),
                    rows.getString(7),
                    rows.getString(8).charAt(0),
                    rows.getString(9).charAt(0),
                    rows.getInt(10),
                    rows.getBoolean(11),
                    List.of()));
      }
    }
    allowedByChecks(connection, names, columns);
    Map<Long, String> timeBases = new HashMap<>();
    String lowestRangePartition =
        """
        SELECT i.inhparent::bigint,
               min((regexp_match(pg_get_expr(p.relpartbound, p.oid), 'FROM \\(''([^'']+)''\\)'))[1])
        FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
        WHERE p.relispartition GROUP BY i.inhparent
        """;
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(lowestRangePartition)) {
      while (rows.next()) {
        if (rows.getString(2) != null) {
          timeBases.put(
              rows.getLong(1),
              "(timestamptz " + literal(rows.getString(2)) + " + interval '1 day')");
        }
      }
    }
    Map<Long, Table> tables = new LinkedHashMap<>();
    names.forEach(
        (oid, name) ->
            tables.put(
                oid,
                new Table(
                    oid,
                    name,
                    40 + Math.floorMod(name.hashCode(), 161),
                    columns.get(oid),
                    timeBases.getOrDefault(oid, "timestamp '2024-01-01'"))));
    return tables;
  }

  /**
   * Numbers and quoted strings written in a check: the values it is about ({@code BETWEEN 0 AND
   * 1}).
   */
  private static final Pattern LITERAL =
      Pattern.compile("'((?:[^']|'')*)'|(?<![\\w.])(-?\\d+(?:\\.\\d+)?)");

  /**
   * For every column with {@code CHECK} constraints on it alone ({@code rating BETWEEN 0 AND 5},
   * {@code status IN ('a', 'b')}, {@code weight > 0}), the values that pass all of them, from the
   * literals the checks name, their neighbours and 0..10; PostgreSQL evaluates each check on each
   * value (a value of the wrong type is skipped). So a table with such checks gets rows instead of
   * being left empty, and the "data" variants measure suggest, not the generator. Checks over
   * several columns are left to the retry with optional columns NULL.
   */
  private static void allowedByChecks(
      Connection connection, Map<Long, String> names, Map<Long, List<Column>> columns)
      throws SQLException {
    String sql =
        """
        SELECT c.conrelid::bigint, a.attname, pg_get_expr(c.conbin, c.conrelid)
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'c' AND cardinality(c.conkey) = 1
        ORDER BY 1, 2, c.conname
        """;
    Map<Long, Map<String, List<String>>> checks = new TreeMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        checks
            .computeIfAbsent(rows.getLong(1), k -> new TreeMap<>())
            .computeIfAbsent(rows.getString(2), k -> new ArrayList<>())
            .add(rows.getString(3));
      }
    }
    for (Map.Entry<Long, Map<String, List<String>>> table : checks.entrySet()) {
      List<Column> list = columns.get(table.getKey());
      if (list == null) {
        continue;
      }
      for (int i = 0; i < list.size(); i++) {
        Column column = list.get(i);
        List<String> expressions = table.getValue().get(column.name());
        if (expressions != null) {
          list.set(i, column.allowing(passing(connection, column, expressions)));
        }
      }
    }
  }

  private static List<String> passing(Connection connection, Column column, List<String> checks) {
    Set<String> tried = new java.util.LinkedHashSet<>();
    for (String check : checks) {
      Matcher m = LITERAL.matcher(check);
      while (m.find()) {
        if (m.group(1) != null) {
          tried.add("'" + m.group(1) + "'");
        } else {
          java.math.BigDecimal n = new java.math.BigDecimal(m.group(2));
          tried.add(n.toPlainString());
          tried.add(n.add(java.math.BigDecimal.ONE).toPlainString());
          tried.add(n.subtract(java.math.BigDecimal.ONE).toPlainString());
        }
      }
    }
    for (int n = 0; n <= 10; n++) {
      tried.add(Integer.toString(n));
    }
    List<String> allowed = new ArrayList<>();
    String condition = String.join(" AND ", checks.stream().map(c -> "(" + c + ")").toList());
    for (String value : tried) {
      String literal = "(" + value + ")::" + column.type();
      try (Statement statement = connection.createStatement();
          ResultSet passes =
              statement.executeQuery(
                  "SELECT ("
                      + condition
                      + ") IS NOT FALSE FROM (SELECT "
                      + literal
                      + " AS "
                      + quote(column.name())
                      + ") AS t")) {
        if (passes.next() && passes.getBoolean(1)) {
          allowed.add(literal);
        }
      } catch (SQLException e) {
        // not a value of this type ('abc' for an integer): not a candidate
      }
    }
    return allowed;
  }

  /** Value expressions of the row number, following references into their parents. */
  private record Generator(Map<Long, Table> tables, Map<Long, Map<String, ForeignKey>> byColumn) {
    private static final int MAX_DEPTH = 8;

    /**
     * @param optionalNull every nullable column that is neither a key nor a reference left NULL:
     *     the last resort when a generated value breaks a check (a {@code year} domain of
     *     1901..2155), so the table still gets rows for its references
     */
    String insert(Table table, int rows, boolean optionalNull) {
      List<String> names = new ArrayList<>();
      List<String> values = new ArrayList<>();
      boolean identity = false;
      for (Column column : table.columns()) {
        if (column.generated()) {
          continue;
        }
        identity |= column.identity();
        names.add(quote(column.name()));
        boolean reference = byColumn.getOrDefault(table.oid(), Map.of()).containsKey(column.name());
        if (optionalNull && !column.notNull() && !column.unique() && !reference) {
          values.add("NULL");
          continue;
        }
        String value = value(table, column, "g.i", 0);
        values.add(
            column.notNull() ? value : "CASE WHEN g.i % 10 = 0 THEN NULL ELSE " + value + " END");
      }
      return "INSERT INTO "
          + table.qualified()
          + " ("
          + String.join(", ", names)
          + ")"
          + (identity ? " OVERRIDING SYSTEM VALUE" : "")
          + " SELECT "
          + String.join(", ", values)
          + " FROM generate_series(1, "
          + rows
          + ") AS g(i)";
    }

    /** The value of {@code column} in the row numbered {@code row} (an SQL expression). */
    private String value(Table table, Column column, String row, int depth) {
      ForeignKey key = byColumn.getOrDefault(table.oid(), Map.of()).get(column.name());
      if (key != null && depth < MAX_DEPTH) {
        Table parent = tables.get(key.parent());
        String parentColumn = key.parentColumns().get(key.childColumns().indexOf(column.name()));
        Column target =
            parent.columns().stream()
                .filter(c -> c.name().equals(parentColumn))
                .findFirst()
                .orElseThrow();
        // the parent row this row points at: a rotation of 1..parent rows, the same for every
        // column of one key
        int salt = Math.floorMod(key.name().hashCode(), parent.rows());
        String parentRow = "((" + row + " - 1 + " + salt + ") % " + parent.rows() + " + 1)";
        return "(" + value(parent, target, parentRow, depth + 1) + ")::" + column.type();
      }
      Optional<String> className = railsType(table, column);
      if (className.isPresent()) {
        return "(" + literal(className.get()) + ")::" + column.type();
      }
      // a key keeps its distinct values: 1, 2, ... pass the usual "> 0" of a key anyway
      if (!column.allowed().isEmpty() && !column.unique()) {
        return "(ARRAY["
            + String.join(", ", column.allowed())
            + "])[(("
            + row
            + ") - 1) % "
            + column.allowed().size()
            + " + 1]";
      }
      return plain(table, column, row);
    }

    /**
     * The type column of a Rails polymorphic pair ({@code owner_type} beside {@code owner_id})
     * whose id column has a declared key: the class name Rails stores for that key's table ({@code
     * users} -> {@code User}), as the application would have written it.
     */
    private Optional<String> railsType(Table table, Column column) {
      String name = column.name();
      if (column.category() != 'S' || column.unique() || !name.endsWith("_type")) {
        return Optional.empty();
      }
      ForeignKey key =
          byColumn
              .getOrDefault(table.oid(), Map.of())
              .get(name.substring(0, name.length() - "_type".length()) + "_id");
      if (key == null || key.childColumns().size() != 1) {
        return Optional.empty();
      }
      String parent = tables.get(key.parent()).qualified();
      List<String> words = Names.words(parent.substring(parent.lastIndexOf('.') + 1));
      StringBuilder className = new StringBuilder();
      for (int i = 0; i < words.size(); i++) {
        String word =
            i < words.size() - 1
                ? words.get(i)
                : Names.singulars(words.get(i)).stream()
                    .min(Comparator.comparingInt(String::length).thenComparing(w -> w))
                    .orElse(words.get(i));
        className.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
      }
      return Optional.of(className.toString());
    }

    /** A value that is unique per row for key columns, varied for the others. */
    private static String plain(Table table, Column column, String row) {
      boolean key = column.unique();
      String spread = "((" + row + ") * 37 % 5000)";
      String expression =
          switch (column.typeType() == 'e' ? 'E' : column.category()) {
            case 'E' ->
                "(enum_range(NULL::"
                    + column.type()
                    + "))[("
                    + row
                    + " - 1) % cardinality(enum_range(NULL::"
                    + column.type()
                    + ")) + 1]";
            case 'A' -> "'{}'";
            case 'N' ->
                column.type().matches("numeric\\((\\d+),\\1\\)") && !key
                    // numeric(4,4): fractions only (TPC-C's tax and discount rates)
                    ? "((" + row + ") % 9) / 10.0"
                    : column.type().startsWith("numeric") && !key
                        ? "(" + row + ") % 9"
                        : key ? "(" + row + ")" : spread;
            case 'S' -> {
              if (key && column.length() > 0 && column.length() < 12) {
                // a short key (char(2) country or language codes): hex digits stay unique for
                // 16^length rows, where a truncated 'k' || row repeats after nine
                yield "lpad(to_hex(" + row + "), " + column.length() + ", '0')";
              }
              // each table's keys its own (k3a-1, k3a-2 ...), so a text reference is found only in
              // the table it points at, not in every table keyed k1, k2, ... by coincidence
              String text = key ? "'k" + tag(table) + "-' || (" + row + ")" : "'s' || " + spread;
              yield column.length() > 0 ? "left(" + text + ", " + column.length() + ")" : text;
            }
            case 'B' -> "(" + row + ") % 2 = 0";
            // a unique date (a date dimension's full_date) gets a day per row: hours repeat a
            // date 24 times and left the whole table empty
            case 'D' ->
                table.timeBase()
                    + " + ("
                    + row
                    + ") * interval '"
                    + (key ? "1 day" : "1 hour")
                    + "'";
            case 'T' -> "(" + row + ") * interval '1 minute'";
            case 'I' -> "inet '10.0.0.0' + (" + row + ")";
            // the airlines demo's airports_data.coordinates point NOT NULL left it empty, and
            // every flight's airports looked broken once flights had rows
            case 'G' ->
                column.type().equals("point")
                    ? "point((" + row + ") % 90, (" + row + ") % 180)"
                    : "NULL";
            case 'U' ->
                column.type().equals("uuid")
                    ? "md5("
                        + literal(table.qualified() + "." + column.name())
                        + " || ("
                        + row
                        + "))::uuid"
                    : column.type().startsWith("json")
                        ? "'{}'"
                        : column.type().equals("bytea")
                            ? "decode(md5((" + row + ")::text), 'hex')"
                            : "NULL";
            default -> "NULL";
          };
      return "(" + expression + ")::" + column.type();
    }
  }

  /** Three hex digits from the table's name: short, stable, and different between most tables. */
  private static String tag(Table table) {
    return String.format("%03x", table.qualified().hashCode() & 0xfff);
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
