package io.integrityauditor.audit;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Problems;
import io.integrityauditor.config.Suggest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a spec needs while binding to a catalog: the audit (for locations), a problem sink, a
 * warning sink (findings that do not stop the audit, shown by {@code validate}), the references
 * declared by the target's other audits, and a way to describe a query's result on the target. A
 * side of a reference in another target ({@code target:} on the side) binds through {@link #on}.
 */
public final class BindContext {
  private final Audit audit;
  private final String target;
  private final Catalog catalog;
  private final Map<String, Catalog> catalogs;
  private final Problems problems;
  private final Problems warnings;
  private final UnreadableTables unreadable;
  private final List<DeclaredReference> references;
  private final ResultDescriber describer;

  public BindContext(Audit audit, Catalog catalog, Problems problems) {
    this(
        audit,
        audit.target(),
        catalog,
        Map.of(audit.target(), catalog),
        problems,
        new Problems(),
        new UnreadableTables(),
        List.of(),
        ResultDescriber.NONE);
  }

  /**
   * @param target the target whose {@code catalog} this context binds against
   * @param catalogs every readable target's catalog, by name, for sides in other targets
   */
  BindContext(
      Audit audit,
      String target,
      Catalog catalog,
      Map<String, Catalog> catalogs,
      Problems problems,
      Problems warnings,
      UnreadableTables unreadable,
      List<DeclaredReference> references,
      ResultDescriber describer) {
    this.audit = audit;
    this.target = target;
    this.catalog = catalog;
    this.catalogs = catalogs;
    this.problems = problems;
    this.warnings = warnings;
    this.unreadable = unreadable;
    this.references = List.copyOf(references);
    this.describer = describer;
  }

  public Audit audit() {
    return audit;
  }

  public Catalog catalog() {
    return catalog;
  }

  /** The target this context binds against (the audit's, or a side's own). */
  public String target() {
    return target;
  }

  /**
   * The same audit bound against another target's catalog (a side with its own {@code target:}),
   * reporting to the same problems and warnings. The binder only binds an audit whose targets'
   * catalogs were all read, so the catalog is there.
   */
  public BindContext on(String other) {
    if (other.equals(target)) {
      return this;
    }
    Catalog theirs = catalogs.get(other);
    if (theirs == null) {
      throw new IllegalStateException("the catalog of target " + other + " was not read");
    }
    return new BindContext(
        audit,
        other,
        theirs,
        catalogs,
        problems,
        warnings,
        unreadable,
        List.of(),
        ResultDescriber.NONE);
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
    resolution.table().filter(table -> !table.readable()).ifPresent(t -> unreadable(keyPath, t));
    return resolution.table();
  }

  /**
   * The catalog lists every table, readable or not: without this, validate passed audits of a
   * schema the role had no USAGE on (the README's grants name {@code public} only) and every run
   * failed with "permission denied for schema". A warning, not a problem: the grant is the
   * database's, not the audit file's, and the run records the failure as an error. Gathered per
   * schema by the binder ({@link UnreadableTables}).
   */
  private void unreadable(String keyPath, TableInfo table) {
    unreadable.add(target, catalog.role(), table.id(), audit, keyPath);
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
