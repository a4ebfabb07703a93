package io.integrityauditor.audit;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Problems;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Binds loaded audits to their targets' catalogs. */
public final class AuditBinder {
  private AuditBinder() {}

  /** Audits that bound, and the problems of those that did not. */
  public record Result(List<BoundAudit> bound, List<ConfigProblem> problems) {
    public Result {
      bound = List.copyOf(bound);
      problems = List.copyOf(problems);
    }
  }

  /**
   * @param catalogs by target name; an audit whose target has no catalog (unreachable) is skipped
   *     without a problem: the caller reports the target itself
   */
  public static Result bind(List<Audit> audits, Map<String, Catalog> catalogs) {
    List<BoundAudit> bound = new ArrayList<>();
    Problems problems = new Problems();
    for (Audit audit : audits) {
      Catalog catalog = catalogs.get(audit.target());
      if (catalog == null) {
        continue;
      }
      Problems own = new Problems();
      Optional<AuditQuery> query = audit.spec().bind(catalog, new BindContext(audit, catalog, own));
      own.list().forEach(problems::add);
      if (query.isPresent() && own.isEmpty()) {
        bound.add(new BoundAudit(audit, query.get()));
      }
    }
    return new Result(bound, problems.list());
  }
}
