/**
 * Quartz wiring only: a clustered JDBC job store in the store database ({@code QuartzCluster}), one
 * durable job per audit whose trigger follows the audit's schedule and the daily retention job
 * ({@code AuditScheduler}), every query on the {@code qrtz_*} tables ({@code QuartzTriggers},
 * {@code QuartzBulkInsert}), and thin jobs that hand each fire to {@link
 * io.integrityauditor.schedule.FiredJobs}, which the running node implements. Guarantees (one run
 * per fire time, no overlapping runs, recovery, misfires, per-target limits, graceful shutdown) are
 * documented in README.md.
 */
package io.integrityauditor.schedule;
