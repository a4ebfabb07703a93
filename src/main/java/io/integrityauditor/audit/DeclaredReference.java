package io.integrityauditor.audit;

/**
 * A reference an audit declares (orphan, consistent, polymorphic): child columns that must match
 * parent columns. {@code kind: schema} checks the type alignment of every declared reference of its
 * target, so that a uuid-vs-text mismatch shows up in the schema report too.
 *
 * @param auditId the audit that declares it
 */
public record DeclaredReference(String auditId, TableColumns child, TableColumns parent) {

  /** A reference of the audit being loaded (its id is filled in by the binder). */
  public static DeclaredReference of(TableColumns child, TableColumns parent) {
    return new DeclaredReference(null, child, parent);
  }

  DeclaredReference withAudit(String id) {
    return new DeclaredReference(id, child, parent);
  }
}
