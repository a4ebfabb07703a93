package io.integrityauditor.audit;

import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Problems;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** Binds loaded audits to their targets' catalogs. */
public final class AuditBinder {
  private AuditBinder() {}

  /**
   * Audits that bound, the problems of those that did not, and every warning.
   *
   * @param unreadable ids of the audits (among every audit, bound or not) that read a table their
   *     target's role cannot read: every run of them fails until the grants are made
   */
  public record Result(
      List<BoundAudit> bound,
      List<ConfigProblem> problems,
      List<ConfigProblem> warnings,
      Set<String> unreadable) {
    public Result {
      bound = List.copyOf(bound);
      problems = List.copyOf(problems);
      warnings = List.copyOf(warnings);
      unreadable = Collections.unmodifiableSet(new LinkedHashSet<>(unreadable));
    }
  }

  /** Binds without a connection: {@code kind: sql} audits cannot be described and fail to bind. */
  public static Result bind(List<Audit> audits, Map<String, Catalog> catalogs) {
    return bind(audits, catalogs, target -> ResultDescriber.NONE);
  }

  /**
   * @param catalogs by target name; an audit with a target (its own, or a side's) that has no
   *     catalog (unreachable) is skipped without a problem: the caller reports the target itself
   * @param describers by target name: describes {@code kind: sql} queries on that target
   */
  public static Result bind(
      List<Audit> audits,
      Map<String, Catalog> catalogs,
      Function<String, ResultDescriber> describers) {
    Map<String, List<DeclaredReference>> references = new LinkedHashMap<>();
    for (Audit audit : audits) {
      if (audit.acrossTargets()) {
        continue; // its parent is not in the target's catalog: kind: schema cannot align it
      }
      for (DeclaredReference reference : audit.spec().references()) {
        references
            .computeIfAbsent(audit.target(), t -> new ArrayList<>())
            .add(reference.withAudit(audit.id()));
      }
    }
    List<BoundAudit> bound = new ArrayList<>();
    Problems problems = new Problems();
    Problems warnings = new Problems();
    UnreadableTables unreadable = new UnreadableTables();
    for (Audit audit : audits) {
      Catalog catalog = catalogs.get(audit.target());
      if (audit.targets().stream().anyMatch(target -> !catalogs.containsKey(target))) {
        continue;
      }
      Problems own = new Problems();
      Problems ownWarnings = new Problems();
      BindContext context =
          new BindContext(
              audit,
              audit.target(),
              catalog,
              catalogs,
              own,
              ownWarnings,
              unreadable,
              references.getOrDefault(audit.target(), List.of()),
              describers.apply(audit.target()));
      Optional<AuditQuery> query = audit.spec().bind(catalog, context);
      own.list().forEach(problems::add);
      ownWarnings.list().forEach(warnings::add);
      if (query.isPresent() && own.isEmpty()) {
        bound.add(new BoundAudit(audit, query.get(), ownWarnings.list()));
      }
    }
    // once per schema, on the audit whose place it names (ahead of its other warnings)
    Map<String, List<ConfigProblem>> grants = unreadable.warningsByAudit();
    grants.values().forEach(list -> list.forEach(warnings::add));
    List<BoundAudit> withGrants = new ArrayList<>();
    for (BoundAudit audit : bound) {
      List<ConfigProblem> own = grants.getOrDefault(audit.audit().id(), List.of());
      if (own.isEmpty()) {
        withGrants.add(audit);
      } else {
        List<ConfigProblem> all = new ArrayList<>(own);
        all.addAll(audit.warnings());
        withGrants.add(new BoundAudit(audit.audit(), audit.query(), all));
      }
    }
    return new Result(withGrants, problems.list(), warnings.list(), unreadable.auditIds());
  }
}
