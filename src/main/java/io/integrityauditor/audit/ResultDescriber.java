package io.integrityauditor.audit;

import java.sql.SQLException;
import java.util.List;

/**
 * Describes the result columns of a query on a target without running it (the server parses and
 * plans it, no row is fetched). {@code kind: sql} uses it at validation to check that the query
 * parses and returns its key columns.
 */
@FunctionalInterface
public interface ResultDescriber {
  /** A describer for binds that have no database at hand (every sql audit fails to bind). */
  ResultDescriber NONE =
      sql -> {
        throw new SQLException("no connection to the target to describe the query");
      };

  /**
   * @return the names of the result columns, in order
   * @throws SQLException when the query does not parse, names unknown tables, lacks privileges...
   */
  List<String> describe(String sql) throws SQLException;
}
