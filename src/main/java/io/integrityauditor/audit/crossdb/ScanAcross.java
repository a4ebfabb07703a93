package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.catalog.ColumnInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * What every scan across databases is to the rest of the worker, whatever its kind: a child side
 * bound in the audit's target and a parent side bound in another, paired key column by key column;
 * never one statement (its sides are on two servers), explained by its child's statements; its
 * re-checks of the parent open to a test's hook.
 */
abstract class ScanAcross implements AuditQuery, CrossDatabaseScan {
  final TableColumns.Bound child;
  final TableColumns.Bound parent;

  /** The reference: each child key column with its parent column. */
  final List<KeyColumn> keys;

  /** Runs before each re-check: tests change the parent there, between its two snapshots. */
  Runnable beforeRecheck = () -> {};

  /**
   * @param asText whether key columns of different types are compared by their text forms
   */
  ScanAcross(TableColumns.Bound child, TableColumns.Bound parent, boolean asText) {
    this.child = child;
    this.parent = parent;
    List<KeyColumn> pairs = new ArrayList<>();
    for (int i = 0; i < child.columns().size(); i++) {
      pairs.add(KeyColumn.of(child.columns().get(i), parent.columns().get(i), asText));
    }
    this.keys = List.copyOf(pairs);
  }

  /**
   * The sample columns of the same-database kind: the child's identifying columns, the reference
   * columns, then {@code more} of the child's, each once (QueryParts.samples).
   */
  final List<String> childSampleNames(List<ColumnInfo> more) {
    List<String> names = new ArrayList<>(child.table().identifyingColumns());
    List<ColumnInfo> shown = new ArrayList<>(child.columns());
    shown.addAll(more);
    for (ColumnInfo column : shown) {
      if (!names.contains(column.name())) {
        names.add(column.name());
      }
    }
    return names;
  }

  /** For tests: {@code hook} runs before each re-check statement. */
  ScanAcross beforeRecheck(Runnable hook) {
    this.beforeRecheck = hook;
    return this;
  }

  @Override
  public String parentTarget() {
    return parent.target();
  }

  @Override
  public Optional<CrossDatabaseScan> acrossDatabases() {
    return Optional.of(this);
  }

  @Override
  public List<String> relations() {
    return QueryParts.relations(child.table(), parent.table());
  }

  /** Never one statement: its sides are in two databases (see {@link #acrossDatabases}). */
  @Override
  public Measurement execute(DSLContext context) {
    throw new IllegalStateException(
        "a reference across databases runs on both targets at once (CrossDatabaseRun)");
  }

  /** What {@code explain} shows as the audit's SQL: the child's statements. */
  @Override
  public List<String> sql(DSLContext context) {
    return childSql(context);
  }
}
