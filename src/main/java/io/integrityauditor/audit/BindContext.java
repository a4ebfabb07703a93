package io.integrityauditor.audit;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Problems;
import io.integrityauditor.config.Suggest;
import java.util.Optional;

/** What a spec needs while binding to a catalog: the audit (for locations) and a problem sink. */
public final class BindContext {
  private final Audit audit;
  private final Catalog catalog;
  private final Problems problems;

  public BindContext(Audit audit, Catalog catalog, Problems problems) {
    this.audit = audit;
    this.catalog = catalog;
    this.problems = problems;
  }

  public Audit audit() {
    return audit;
  }

  public int sampleSize() {
    return audit.sampleSize();
  }

  public void problem(String keyPath, String message) {
    problems.add(audit.locationOf(keyPath), audit.id(), keyPath, message);
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
