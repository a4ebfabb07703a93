package io.integrityauditor.audit;

import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.catalog.Catalog;
import java.util.List;
import java.util.Optional;

/**
 * The kind-specific part of an audit. Parsed from YAML by the kind's parser (see {@code
 * audit.kind.AuditKinds}), then bound to a target's catalog: binding checks every table, column and
 * type and builds the query. Binding reports problems through the context and returns empty when
 * the audit cannot run.
 */
public interface AuditSpec {
  /** The {@code kind:} value, e.g. {@code orphan}. */
  String kind();

  Optional<AuditQuery> bind(Catalog catalog, BindContext context);

  /** The references it declares (child columns that must match parent columns), if any. */
  default List<DeclaredReference> references() {
    return List.of();
  }

  /**
   * The sides of its reference, child first, for kinds whose sides may name their own {@code
   * target:} (a parent in another database); empty for other kinds. A child's target is the audit's
   * target.
   */
  default List<TableColumns> sides() {
    return List.of();
  }
}
