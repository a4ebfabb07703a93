package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.QueryParts;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Name;
import org.jooq.Record;
import org.jooq.ResultQuery;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * What every scan across databases does on the two servers, whatever its kind: runs a step on one
 * side naming that side's target when it fails, pins the text form of dates and times, and has the
 * child's server fingerprint violating keys exactly as a same-database scan does there.
 */
final class Sides {
  private Sides() {}

  /** A step on one side's server. */
  @FunctionalInterface
  interface Step<T> {
    T run() throws SQLException;
  }

  /**
   * Runs a step on {@code side}'s server; its failure names the side's target, since an audit
   * across databases has two servers that can fail. The SQLSTATE is kept: it decides the run's
   * status (a timeout, a lost connection) like any audit's.
   */
  static <T> T on(TableColumns.Bound side, Step<T> step) throws SQLException {
    try {
      return step.run();
    } catch (SQLException | DataAccessException e) {
      SQLException cause = null;
      for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
        if (t instanceof SQLException sql && (cause == null || sql.getSQLState() != null)) {
          cause = sql;
        }
      }
      String state = cause == null ? null : cause.getSQLState();
      SQLException named =
          new SQLException(
              "target " + side.target() + ": " + (cause == null ? e : cause).getMessage(), state);
      named.addSuppressed(e);
      throw named;
    }
  }

  /**
   * The settings a value's text form depends on, and the value both sides use for this transaction
   * only: dates and times in UTC and ISO style, intervals in PostgreSQL style, floats in their
   * shortest exact form (PostgreSQL 12's default; 0 or less rounds), bytea in hex. Two servers (or
   * databases, roles) configured differently then still write equal values alike.
   */
  private static final Map<String, String> TEXT_FORMS =
      Map.of(
          "TimeZone", "UTC",
          "DateStyle", "ISO, YMD",
          "IntervalStyle", "postgres",
          "extra_float_digits", "1",
          "bytea_output", "hex");

  /**
   * Pins the text forms of values on a side ({@link #TEXT_FORMS}). Returns the transaction's
   * isolation level.
   */
  static String pinTextForms(DSLContext context) {
    List<Field<?>> settings = new ArrayList<>();
    TEXT_FORMS.forEach(
        (name, value) ->
            settings.add(
                DSL.function(
                    "set_config", String.class, DSL.val(name), DSL.val(value), DSL.inline(true))));
    settings.add(DSL.function("current_setting", String.class, DSL.val("transaction_isolation")));
    return context.select(settings).fetchOne().get(settings.size() - 1, String.class);
  }

  /**
   * Whether both servers hash a text alike ({@link KeyColumn#textHash}): they do unless their byte
   * orders differ, which no other setting changes.
   */
  static boolean sameTextHash(DSLContext child, DSLContext parent) {
    Field<Long> probe = KeyColumn.textHash(DSL.val("integrity-auditor"));
    return child.select(probe).fetchOne(probe).equals(parent.select(probe).fetchOne(probe));
  }

  /**
   * The fingerprints of violating sample keys of {@code width} columns each (their values as text),
   * computed by the child's server exactly as a same-database scan computes them there
   * (ViolationScan): {@code hashtextextended} of the text array of the key's columns.
   */
  static ResultQuery<Record> fingerprints(
      DSLContext context, int width, List<List<String>> samples) {
    List<Field<?>> arrays = new ArrayList<>();
    List<Name> names = new ArrayList<>();
    List<Field<String>> texts = new ArrayList<>();
    for (int s = 0; s < width; s++) {
      String[] column = new String[samples.size()];
      for (int i = 0; i < samples.size(); i++) {
        column[i] = samples.get(i).get(s);
      }
      arrays.add(DSL.val(column, SQLDataType.CLOB.array()));
      names.add(DSL.name("s" + s));
      texts.add(
          DSL.field(DSL.name("u", "s" + s), String.class)
              .cast(SQLDataType.CLOB)
              .collate(DSL.collation(DSL.name("C"))));
    }
    names.add(DSL.name("i"));
    Field<Long> fingerprint =
        DSL.function(
            "hashtextextended",
            Long.class,
            DSL.array(texts).cast(SQLDataType.CLOB),
            DSL.inline(0L));
    return context.resultQuery(
        "select {0} from unnest({1}) with ordinality as u({2}) order by u.i",
        fingerprint, DSL.list(arrays), DSL.list(names.stream().map(DSL::field).toList()));
  }

  /** One text array per column of {@code rows} ({@code width} values each), for {@code unnest}. */
  static List<Field<?>> textArrays(List<String[]> rows, int width) {
    List<Field<?>> arrays = new ArrayList<>();
    for (int k = 0; k < width; k++) {
      String[] column = new String[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        column[i] = rows.get(i)[k];
      }
      arrays.add(DSL.val(column, SQLDataType.CLOB.array()));
    }
    return arrays;
  }

  /**
   * The parent row {@code p} within {@code filter} whose key equals the unnested candidate key
   * {@code u.k0, u.k1, ...}: what both re-checks ask the parent's server in a fresh snapshot.
   */
  static Condition parentOfCandidate(List<KeyColumn> keys, Condition filter) {
    Condition found = filter;
    for (int k = 0; k < keys.size(); k++) {
      found =
          found.and(
              keys.get(k)
                  .matches(
                      QueryParts.field("p", keys.get(k).parent()),
                      DSL.field(DSL.name("u", "k" + k), String.class)));
    }
    return found;
  }
}
