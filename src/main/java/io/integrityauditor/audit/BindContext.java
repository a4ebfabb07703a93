package io.integrityauditor.audit;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Problems;
import io.integrityauditor.config.Suggest;
import java.util.List;
import java.util.Optional;

/**
 * What a spec needs while binding to a catalog: the audit (for locations), a problem sink, a
 * warning sink (findings that do not stop the audit, shown by {@code validate}), the references
 * declared by the target's other audits, and a way to describe a query's result on the target.
 */
public final class BindContext {
  private final Audit audit;
  private final Catalog catalog;
  private final Problems problems;
  private final Problems warnings;
  private final List<DeclaredReference> references;
  private final ResultDescriber describer;

  public BindContext(Audit audit, Catalog catalog, Problems problems) {
    this(audit, catalog, problems, new Problems(), List.of(), ResultDescriber.NONE);
  }

  BindContext(
      Audit audit,
      Catalog catalog,
      Problems problems,
      Problems warnings,
      List<DeclaredReference> references,
      ResultDescriber describer) {
    this.audit = audit;
    this.catalog = catalog;
    this.problems = problems;
    this.warnings = warnings;
    this.references = List.copyOf(references);
    this.describer = describer;
  }

  public Audit audit() {
    return audit;
  }

  public Catalog catalog() {
    return catalog;
  }

  public int sampleSize() {
    return audit.sampleSize();
  }

  public void problem(String keyPath, String message) {
    problems.add(audit.locationOf(keyPath), audit.id(), keyPath, message);
  }

  /** Something the user should know before the audit runs, which does not stop it. */
  public void warning(String keyPath, String message) {
    warnings.add(audit.locationOf(keyPath), audit.id(), keyPath, message);
  }

  /** References declared by the audits of the same target (this one included). */
  public List<DeclaredReference> declaredReferences() {
    return references;
  }

  public ResultDescriber describer() {
    return describer;
  }

  public Optional<TableInfo> table(String keyPath, QualifiedName name) {
    Catalog.Resolution resolution = catalog.resolve(name);
    if (resolution.table().isEmpty()) {
      problem(keyPath, resolution.problem());
    }
    return resolution.table();
  }

  public Optional<ColumnInfo> column(String keyPath, TableInfo table, String name) {
    Optional<ColumnInfo> column = table.column(name);
    if (column.isEmpty()) {
      problem(
          keyPath,
          "column "
              + table.id().name()
              + "."
              + name
              + " does not exist"
              + Suggest.didYouMean(name, table.columnNames()));
    }
    return column;
  }
}
