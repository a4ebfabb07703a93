/**
 * Prometheus metrics (Micrometer): audit results read from the store's latest results in the
 * background, so every node exports the same numbers and a scrape never waits for a database.
 * Gauges only read an in-memory snapshot; no query ever runs inside a gauge or at scrape time.
 */
package io.integrityauditor.metrics;
