/**
 * Audit definitions: the model ({@link io.integrityauditor.audit.Audit} records, severity,
 * threshold, schedule, execution mode), loading from audit files ({@link
 * io.integrityauditor.audit.AuditFileLoader}) and binding to a target's catalog (sources, filters,
 * declared references). Each kind lives in {@code audit.kind}; the shape every bound query shares
 * (one pass, partials, key ranges) in {@code audit.scan}. Nothing here executes SQL: see {@code
 * run}.
 */
package io.integrityauditor.audit;
