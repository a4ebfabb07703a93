package io.integrityauditor.config;

/**
 * An audited database.
 *
 * @param name the name audits refer to ({@code target: apms})
 * @param database connection settings
 * @param maxConcurrentAudits at most this many audits run against it at once, cluster-wide per node
 */
public record TargetConfig(String name, DatabaseConfig database, int maxConcurrentAudits) {}
