/**
 * The data path and a running node. {@code Auditor}: configuration and audit files in, catalogs
 * read, audits bound, runs executed read-only and written to the store ({@code check}, {@code
 * serve} and {@code demo} all run audits through it). {@code Worker}: a {@code serve} node of one
 * process, owning its scheduler, metrics and HTTP server and the graceful stop; it implements the
 * node operations the HTTP API calls. Its parts: {@code ActiveAudits} (what runs, as the last load
 * left it), {@code AuditReload} (audit files to active audits and Quartz jobs), {@code
 * CatalogCache} (targets' catalogs for binding scheduled runs), {@code FiredRuns} (what a Quartz
 * fire runs) and {@code BackgroundSweeps} (abandoned runs, peers' chunks).
 */
package io.integrityauditor.serve;
