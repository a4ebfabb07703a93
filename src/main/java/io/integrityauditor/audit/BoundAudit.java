package io.integrityauditor.audit;

import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.config.ConfigProblem;
import java.util.List;

/**
 * An audit whose tables, columns and types were checked against its target: ready to run.
 *
 * @param warnings findings that do not stop it (e.g. a reference whose type differs from its key's)
 */
public record BoundAudit(Audit audit, AuditQuery query, List<ConfigProblem> warnings) {
  public BoundAudit {
    warnings = List.copyOf(warnings);
  }

  public BoundAudit(Audit audit, AuditQuery query) {
    this(audit, query, List.of());
  }
}
