package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.Filter;
import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Suggest;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * {@code kind: sql} — a query whose rows are the violations, for invariants no kind covers. It must
 * select the columns named in {@code key_columns}, which identify a violation in samples.
 *
 * <p>The query runs as a subquery of the shared one-pass aggregate ({@link ViolationScan}), in the
 * audit's READ ONLY transaction with its timeouts: the worker counts its rows and keeps a sample of
 * keys without loading every row. A query that tries to write fails with {@code read_only} and
 * changes nothing.
 *
 * <p>Rows checked: the rows of {@code rows_checked} (a table, with an optional {@code where}) when
 * given, else the number of rows the query returns (so the ratio is 1 whenever there are
 * violations, and {@code threshold.max_ratio} needs {@code rows_checked}).
 *
 * <p>At validation the query is described on the target (parsed and planned, never executed) to
 * check that it runs and returns its key columns.
 */
public record SqlSpec(
    String sql,
    List<String> keyColumns,
    Optional<Source> rowsChecked,
    List<String> allowFunctions,
    boolean allowPrivilegedRole)
    implements AuditSpec {

  public static final String KIND = "sql";

  public SqlSpec {
    keyColumns = List.copyOf(keyColumns);
    allowFunctions = List.copyOf(allowFunctions);
  }

  @Override
  public String kind() {
    return KIND;
  }

  static Optional<AuditSpec> parse(Fields fields) {
    String text = fields.requiredString("sql");
    List<String> allowFunctions =
        fields.has("allow_functions") ? fields.stringList("allow_functions") : List.of();
    boolean allowPrivilegedRole = fields.bool("allow_privileged_role").orElse(false);
    Optional<String> statement = Optional.empty();
    if (text != null) {
      SqlText.Scan scan = SqlText.scan(text);
      scan.problem().ifPresent(problem -> fields.problem("sql", problem));
      statement = Optional.ofNullable(scan.statement());
      if (!sideEffectsAllowed(fields, scan.calls(), allowFunctions)) {
        statement = Optional.empty();
      }
    }
    List<String> keys = Source.columnList(fields, "key_columns", true);
    Optional<Source> rowsChecked = Optional.empty();
    if (fields.has("rows_checked")) {
      rowsChecked = rowsChecked(fields);
      if (rowsChecked.isEmpty()) {
        return Optional.empty();
      }
    }
    if (statement.isEmpty() || keys.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new SqlSpec(statement.get(), keys, rowsChecked, allowFunctions, allowPrivilegedRole));
  }

  /**
   * Refuses calls of functions whose effects escape the transaction ({@link SideEffectFunctions})
   * unless the audit lists them in {@code allow_functions}.
   */
  private static boolean sideEffectsAllowed(
      Fields fields, List<String> calls, List<String> allowFunctions) {
    boolean ok = true;
    for (String call : calls.stream().distinct().toList()) {
      Optional<String> effect = SideEffectFunctions.effect(call);
      if (effect.isPresent() && !allowFunctions.contains(call)) {
        fields.problem(
            "sql",
            "calls "
                + call
                + "(), which "
                + effect.get()
                + ": an audit only reads; remove the call, or, if a reviewer agrees, add "
                + call
                + " to allow_functions");
        ok = false;
      }
    }
    return ok;
  }

  /** {@code rows_checked: table} or {@code rows_checked: {table: t, where: {...}}}. */
  private static Optional<Source> rowsChecked(Fields fields) {
    Optional<Node> node = fields.node("rows_checked");
    if (node.isPresent() && node.get() instanceof MapNode) {
      Fields section = fields.map("rows_checked").orElseThrow();
      Optional<Source> source = Source.parse(section, "where");
      section.rejectUnknown();
      return source;
    }
    return TableColumns.tableName(fields, "rows_checked")
        .map(table -> new Source(table, Filter.NONE, fields.keyPath("rows_checked"), "where"));
  }

  /** The query as the subquery the worker (and validation) wraps it in. */
  static String wrapped(String statement) {
    return "SELECT * FROM (\n" + statement + "\n) AS q";
  }

  @Override
  public Optional<AuditQuery> bind(Catalog catalog, BindContext context) {
    boolean ok = true;
    if (rowsChecked.isEmpty() && context.audit().threshold().maxRatio().isPresent()) {
      context.problem(
          "threshold.max_ratio",
          "a ratio needs rows_checked (the rows a violation is counted against): without it rows"
              + " checked equals the rows the query returns, so the ratio is always 1");
      ok = false;
    }
    Optional<Source.Bound> denominator = Optional.empty();
    if (rowsChecked.isPresent()) {
      denominator = rowsChecked.get().bind(context, "t");
      ok &= denominator.isPresent() && denominator.get().filterValid();
    }
    List<String> columns;
    try {
      columns = context.describer().describe(wrapped(sql));
    } catch (SQLException e) {
      context.problem(
          "sql",
          "the query does not run on target "
              + context.audit().target()
              + ": "
              + firstLine(e.getMessage())
              + " (it was parsed only, not executed)");
      return Optional.empty();
    }
    Map<String, Field<?>> samples = new LinkedHashMap<>();
    for (String key : keyColumns) {
      Optional<String> column = resultColumn(context, key, columns);
      if (column.isEmpty()) {
        ok = false;
      } else {
        samples.put(column.get(), DSL.field(DSL.name("q", column.get())));
      }
    }
    if (!ok) {
      return Optional.empty();
    }
    // The text is the user's query, verbatim: DSL.raw keeps jOOQ from reading its ? or {...}.
    Table<?> source = DSL.table(DSL.raw("(\n" + sql + "\n)")).as("q");
    ViolationScan scan =
        new ViolationScan(
            List.of("the tables its query reads"),
            source,
            DSL.noCondition(),
            DSL.trueCondition(),
            samples,
            context.sampleSize(),
            List.of());
    return Optional.of(new SqlQuery(scan, denominator));
  }

  /** The result column a key names: exactly, else the one that matches ignoring case. */
  private static Optional<String> resultColumn(
      BindContext context, String key, List<String> columns) {
    long exact = columns.stream().filter(key::equals).count();
    List<String> folded = columns.stream().filter(key::equalsIgnoreCase).distinct().toList();
    if (exact > 1 || (exact == 0 && folded.size() == 1 && count(columns, folded.get(0)) > 1)) {
      context.problem(
          "key_columns",
          "the query returns several columns named "
              + key
              + "; give them distinct names (SELECT a.id AS a_id, b.id AS b_id ...)");
      return Optional.empty();
    }
    if (exact == 1) {
      return Optional.of(key);
    }
    if (folded.size() == 1) {
      return Optional.of(folded.get(0));
    }
    context.problem(
        "key_columns",
        "the query returns no column "
            + key
            + Suggest.didYouMean(key, columns)
            + "; it returns: "
            + String.join(", ", columns));
    return Optional.empty();
  }

  private static long count(List<String> columns, String name) {
    return columns.stream().filter(name::equals).count();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    String line = message.strip();
    int newline = line.indexOf('\n');
    return newline < 0 ? line : line.substring(0, newline);
  }
}
