package io.integrityauditor.support;

import java.math.BigDecimal;

/**
 * The scheduling tests' target: parent ids 1-10 and ten child rows, one of them an orphan (child 10
 * references parent 99), and views {@code child_<N>s} that read the same rows in N seconds (a sleep
 * of N/10 s per row), for audits that take a known while.
 */
public final class OrphanTarget {
  private OrphanTarget() {}

  /** The tables, and a slow view for each of {@code slowViewSeconds}. */
  public static String schema(int... slowViewSeconds) {
    StringBuilder sql =
        new StringBuilder(
            """
            CREATE TABLE parent (id int PRIMARY KEY);
            INSERT INTO parent SELECT generate_series(1, 10);
            CREATE TABLE child (id int PRIMARY KEY, parent_id int);
            INSERT INTO child SELECT i, i FROM generate_series(1, 9) i;
            INSERT INTO child VALUES (10, 99);
            """);
    for (int seconds : slowViewSeconds) {
      sql.append(
          "CREATE VIEW child_%ds AS SELECT c.* FROM child c WHERE pg_sleep(%s + 0 * c.id) IS NOT NULL;\n"
              .formatted(seconds, BigDecimal.valueOf(seconds).movePointLeft(1).toPlainString()));
    }
    return sql.toString();
  }

  /** A new database of the shared server with {@link #schema}. */
  public static TestPostgres.Database create(String prefix, int... slowViewSeconds) {
    TestPostgres.Database target = TestPostgres.newDatabase(prefix);
    target.execute(schema(slowViewSeconds));
    return target;
  }

  /**
   * One orphan audit of {@code child}.parent_id (the table, or a view that reads it slowly), as an
   * item of an audit file's {@code audits:} list.
   */
  public static String audit(String id, String child, String schedule) {
    return """
          - id: %s
            kind: orphan
            child: %s.parent_id
            parent: parent.id
            schedule: "%s"
        """
        .formatted(id, child, schedule);
  }
}
