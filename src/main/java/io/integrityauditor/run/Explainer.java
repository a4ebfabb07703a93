package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.Execution;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeyRange;
import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;

/**
 * What an audit would run: its SQL (formatted, bind values inlined) and PostgreSQL's {@code
 * EXPLAIN} of each statement, in the same READ ONLY transaction with the same timeouts as a run
 * ({@link Attempts#begin}).
 */
public final class Explainer {
  private Explainer() {}

  /**
   * One statement of an audit and PostgreSQL's plan for it.
   *
   * @param target the target it runs on, when the audit reads two (a reference across databases)
   */
  public record Explained(String sql, List<String> plan, Optional<String> target) {
    public Explained(String sql, List<String> plan) {
      this(sql, plan, Optional.empty());
    }
  }

  /**
   * The statements of an audit with their plans, or why they could not be explained.
   *
   * @param chunks how a chunked run would split the driving table; empty for one statement
   */
  public record Explanation(
      List<Explained> statements, Optional<RunError> error, Optional<ChunkPlan> chunks) {}

  /**
   * The key ranges a chunked run would make now (from the table's statistics, like the run's own
   * plan): its statements cover one or more consecutive ranges each, sized as the run goes.
   *
   * @param table the driving table
   * @param key the column it is split by
   * @param ranges how many key ranges
   * @param estimatedRows the rows they hold, by the estimate
   */
  public record ChunkPlan(String table, String key, int ranges, long estimatedRows) {}

  /**
   * Explains the statements of a reference across databases, each on its own target: the child's
   * stream and fingerprints on the child's, the parent's stream and re-check on the parent's (in
   * READ ONLY transactions with the audit's limits, like a run).
   */
  public static Explanation explain(
      Audit audit, CrossDatabaseScan scan, DataSource child, DataSource parent, boolean analyze) {
    List<Explained> explained = new ArrayList<>();
    try {
      explainOn(audit, audit.target(), child, scan::childSql, analyze, explained);
      explainOn(audit, scan.parentTarget(), parent, scan::parentSql, analyze, explained);
      return new Explanation(explained, Optional.empty(), Optional.empty());
    } catch (Exception e) {
      ErrorClassifier.Classified classified = ErrorClassifier.classify(e, false, scan.relations());
      return new Explanation(explained, Optional.of(classified.error()), Optional.empty());
    }
  }

  private static void explainOn(
      Audit audit,
      String target,
      DataSource dataSource,
      Function<DSLContext, List<String>> statements,
      boolean analyze,
      List<Explained> explained)
      throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      try {
        DSLContext context = Attempts.begin(audit, connection, true);
        for (String sql : statements.apply(context)) {
          explained.add(new Explained(sql, plan(connection, sql, analyze), Optional.of(target)));
        }
      } finally {
        ReadOnlyTransaction.rollbackQuietly(connection);
        SessionReset.beforeReturn(connection, dataSource);
      }
    }
  }

  private static List<String> plan(Connection connection, String sql, boolean analyze)
      throws SQLException {
    List<String> plan = new ArrayList<>();
    try (PreparedStatement statement =
            connection.prepareStatement("EXPLAIN " + (analyze ? "(ANALYZE, BUFFERS) " : "") + sql);
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        plan.add(rows.getString(1));
      }
    }
    return plan;
  }

  /**
   * Explains the audit's statements; {@code analyze} runs them ({@code EXPLAIN (ANALYZE, BUFFERS)})
   * — still read-only and rolled back.
   */
  public static Explanation explain(
      Audit audit, AuditQuery query, DataSource target, boolean analyze) {
    List<Explained> explained = new ArrayList<>();
    Optional<ChunkPlan> chunks = Optional.empty();
    try (Connection connection = target.getConnection()) {
      try {
        DSLContext context = Attempts.begin(audit, connection, true);
        if (analyze) {
          // EXPLAIN ANALYZE executes the query: the same rule as a run
          Optional<RunError> refused = RoleGuard.refusal(audit, connection);
          if (refused.isPresent()) {
            return new Explanation(explained, refused, chunks);
          }
        }
        List<String> statements = query.sql(context);
        // a chunked run runs chunk statements, not the single statement: show the first one (as
        // serve runs it: an incremental audit keeps its watermark there)
        Optional<RangeScan> chunked =
            query
                .rangeScan()
                .filter(
                    scan ->
                        AuditExecutor.modeOf(audit.execution(), Optional.of(scan), true)
                            == RunInfo.Mode.CHUNKED);
        if (chunked.isPresent()) {
          RangeScan scan = chunked.get();
          ColumnInfo key = Execution.chunkKey(scan.table()).orElseThrow();
          List<ChunkSlice> slices = ChunkPlanner.plan(context, scan, key);
          ChunkSlice first = slices.get(0);
          statements =
              List.of(scan.sql(context, KeyRange.between(scan, key, first.lower(), first.upper())));
          chunks =
              Optional.of(
                  new ChunkPlan(
                      scan.table().id().toString(),
                      key.name(),
                      slices.size(),
                      slices.stream().mapToLong(ChunkSlice::estimatedRows).sum()));
        }
        for (String sql : statements) {
          explained.add(new Explained(sql, plan(connection, sql, analyze)));
        }
        return new Explanation(explained, Optional.empty(), chunks);
      } finally {
        ReadOnlyTransaction.rollbackQuietly(connection);
        // EXPLAIN ANALYZE runs the query: the same session state can be left behind
        SessionReset.beforeReturn(connection, target);
      }
    } catch (Exception e) {
      ErrorClassifier.Classified classified = ErrorClassifier.classify(e, false, query.relations());
      return new Explanation(explained, Optional.of(classified.error()), chunks);
    }
  }
}
