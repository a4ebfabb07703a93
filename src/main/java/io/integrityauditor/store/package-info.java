/**
 * The worker's own database: Flyway migrations (run history, samples, alerts, Quartz's job store)
 * and type-safe access through the jOOQ classes generated from those migrations at build time; the
 * session advisory locks that coordinate the nodes (audit leases, connection budget places).
 */
package io.integrityauditor.store;
