/**
 * The data path and a running node. {@code Auditor}: configuration and audit files in, catalogs
 * read, audits bound, runs executed read-only and written to the store ({@code check}, {@code
 * serve} and {@code demo} all run audits through it). {@code Worker} and {@code ScheduledAudits}: a
 * {@code serve} node, owning the scheduler, active audits, reload, sweeps, HTTP server and metrics
 * of one process; it implements the node operations the HTTP API calls and the work the Quartz jobs
 * hand over.
 */
package io.integrityauditor.serve;
