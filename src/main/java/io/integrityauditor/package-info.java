/**
 * integrity-auditor: scheduled data-integrity audits for PostgreSQL databases whose foreign keys
 * are missing. The root package holds the contract every package may use and imports no project
 * package: the exception root, exit codes, the JSON mapper, the text table and the version.
 * Sub-packages by concern: {@code config} (files and validation), {@code catalog} (introspection of
 * a target), {@code audit} / {@code audit.kind} / {@code audit.scan} (model and loading, the kinds,
 * the scan shape), {@code targets} (pools and the one read-only door), {@code run} (executing one
 * audit safely), {@code store} (the worker's own schema), {@code schedule} (Quartz only), {@code
 * serve} (the data path and a running node), {@code metrics}, {@code http}, {@code suggest}, {@code
 * cli}, {@code bench} and {@code demo}.
 */
package io.integrityauditor;
