package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.BindContext;
import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.List;
import org.jooq.Field;
import org.jooq.impl.SQLDataType;

/**
 * The type alignment of the columns a declared reference compares (orphan, consistent,
 * polymorphic). A foreign key needs the reference to have its key's type; a reference stored as
 * text that points at a uuid key is exactly the kind of drift the seeds' "FK/PK type alignment"
 * check is about. Any base-type difference is therefore reported by the audit itself, as one
 * violation per mismatched column pair (unless {@code type_mismatch: note}), and the data is still
 * checked: types that PostgreSQL cannot compare ({@code text = uuid}) are compared by their text
 * forms.
 */
final class TypeAlignment {
  private TypeAlignment() {}

  /** What a mismatch counts as. */
  enum Policy {
    /** One violation per mismatched pair, with a sample naming it (the default). */
    VIOLATION,
    /** Only a note on every result. */
    NOTE;
  }

  /** One child column compared with one parent column. */
  record Pair(TableInfo childTable, ColumnInfo child, TableInfo parentTable, ColumnInfo parent) {
    boolean aligned() {
      return child.type().sameAs(parent.type());
    }

    boolean comparable() {
      return child.type().comparableWith(parent.type());
    }

    /** {@code workflow_instances.workspace_id text <> workspaces.id uuid} */
    String describe() {
      return childTable.id().name()
          + "."
          + child.name()
          + " "
          + child.type()
          + " <> "
          + parentTable.id().name()
          + "."
          + parent.name()
          + " "
          + parent.type();
    }

    String sentence() {
      return childTable.id().name()
          + "."
          + child.name()
          + " is "
          + child.type()
          + " but "
          + parentTable.id().name()
          + "."
          + parent.name()
          + " is "
          + parent.type();
    }
  }

  /** The pairs of two sides with the same number of columns, in order. */
  static List<Pair> pairs(TableColumns.Bound child, TableColumns.Bound parent) {
    List<Pair> pairs = new ArrayList<>();
    for (int i = 0; i < child.columns().size(); i++) {
      pairs.add(
          new Pair(child.table(), child.columns().get(i), parent.table(), parent.columns().get(i)));
    }
    return pairs;
  }

  /**
   * Warns about every mismatched pair (so {@code validate} shows it before anything runs) and
   * returns the mismatches that the query must report.
   */
  static List<Pair> check(
      BindContext context, String keyPath, List<Pair> pairs, Policy policy, boolean asText) {
    List<Pair> mismatched = new ArrayList<>();
    for (Pair pair : pairs) {
      if (pair.aligned()) {
        continue;
      }
      mismatched.add(pair);
      String counted =
          policy == Policy.VIOLATION
              ? "each run counts it as 1 violation"
              : "each run reports it as a note (type_mismatch: note)";
      String compared = pair.comparable() && !asText ? "" : " and compares the values as text";
      // integers of different widths are what a Rails or Django schema is made of, and a foreign
      // key accepts them: say how to keep the finding without counting it (newuser25)
      String fix =
          pair.child().type().isInteger() && pair.parent().type().isInteger()
              ? ". PostgreSQL accepts a foreign key between integer types: if the mix is by design"
                  + " (Rails and Django schemas often have it), "
                  + (policy == Policy.VIOLATION
                      ? "set type_mismatch: note on the audit to report it as a note only; else"
                          + " give"
                      : "leave it; else give")
                  + " the reference its key's type"
              : ". Give the reference its key's type (a foreign key needs identical types)";
      context.warning(
          keyPath, "type mismatch: " + pair.sentence() + "; " + counted + compared + fix);
    }
    return mismatched;
  }

  /** The note a result carries for a mismatched pair. */
  static String note(Pair pair, boolean asText) {
    return "type mismatch: "
        + pair.sentence()
        + (pair.comparable() && !asText ? "; compared natively" : "; compared as text");
  }

  /** A column as it is compared with its partner: natively, or as text when they cannot be. */
  static Field<Object> comparable(Field<Object> field, Pair pair, boolean asText) {
    return asText || !pair.comparable() ? field.cast(SQLDataType.CLOB).coerce(Object.class) : field;
  }

  /** Wraps a query so that every mismatch is reported with its results. */
  static AuditQuery wrap(
      AuditQuery query, List<Pair> mismatched, Policy policy, boolean asText, int sampleSize) {
    if (mismatched.isEmpty()) {
      return query;
    }
    return new AlignedQuery(query, mismatched, policy, asText, sampleSize);
  }
}
