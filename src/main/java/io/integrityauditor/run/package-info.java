/**
 * Executing one audit safely against its target. {@code AuditExecutor} decides the mode (the one
 * place that does) and hands the audit to one run class per mode: {@code FullRun} (one statement),
 * {@code ChunkedRun} (key ranges, shared with the cluster) and {@code IncrementalRun} (rows past a
 * watermark, full sweeps when due). All of them run their work through {@code Attempts}: each
 * attempt a short READ ONLY transaction with statement, lock and idle timeouts and an application
 * name DBAs can see, errors classified by SQLSTATE, transient ones retried per the retry policy;
 * {@code Outcome.failure} is the one place a failed unit becomes a result. A failed or timed-out
 * audit is a result with that status, never "0 violations". {@code Explainer}: what an audit would
 * run, and PostgreSQL's plans.
 */
package io.integrityauditor.run;
