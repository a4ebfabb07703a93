package io.integrityauditor.audit;

/** An audit whose tables, columns and types were checked against its target: ready to run. */
public record BoundAudit(Audit audit, AuditQuery query) {}
