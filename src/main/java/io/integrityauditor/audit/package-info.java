/**
 * Audit definitions and their kinds. An audit file is loaded once by {@link
 * io.integrityauditor.audit.AuditFileLoader} into immutable {@link io.integrityauditor.audit.Audit}
 * records; each kind ({@link io.integrityauditor.audit.AuditSpec}) validates itself against a
 * target's catalog and builds its jOOQ query. Nothing here executes SQL: see {@code run}.
 */
package io.integrityauditor.audit;
