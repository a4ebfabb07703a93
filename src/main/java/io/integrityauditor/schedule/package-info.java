/**
 * Quartz wiring only: a clustered JDBC job store in the store database, one durable job per audit
 * whose trigger follows the audit's schedule, and a thin job that hands each fire to {@link
 * io.integrityauditor.serve.Auditor}. Guarantees (one run per fire time, no overlapping runs,
 * recovery, misfires, per-target limits, graceful shutdown) are documented in README.md.
 */
package io.integrityauditor.schedule;
