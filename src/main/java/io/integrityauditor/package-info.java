/**
 * integrity-auditor: scheduled data-integrity audits for PostgreSQL databases whose foreign keys
 * are missing. Sub-packages by concern: {@code config} (files and validation), {@code catalog}
 * (introspection of a target), {@code audit} (kinds and their queries), {@code run} (executing one
 * audit safely), {@code store} (the worker's own schema), {@code schedule} (Quartz wiring), {@code
 * metrics}, {@code http}, {@code cli} and {@code demo}.
 */
package io.integrityauditor;
