/**
 * The {@code bench} subcommand: builds a reference dataset on an embedded PostgreSQL, times the
 * audits against the best hand-written query (full, chunked, incremental), memory, {@code /metrics}
 * and start-up with many audits, and writes the figures to {@code docs/performance.md}.
 */
package io.integrityauditor.bench;
