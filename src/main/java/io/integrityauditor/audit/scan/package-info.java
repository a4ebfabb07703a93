/**
 * The shape every bound audit query shares: {@link io.integrityauditor.audit.scan.AuditQuery} and
 * its {@link io.integrityauditor.audit.scan.Measurement}, the one-pass violation scan, its partial
 * results (so ranges can be summed) and the key ranges chunked and incremental runs split it into.
 */
package io.integrityauditor.audit.scan;
