package io.integrityauditor.config;

import java.util.Optional;

/**
 * An audited database, or a template standing for a fleet of them.
 *
 * @param name the name audits refer to ({@code target: apms})
 * @param database connection settings (of a template: where its tenants are listed)
 * @param maxConcurrentAudits at most this many audits run against it at once, cluster-wide per node
 * @param template present when the target stands for every matching database or schema
 */
public record TargetConfig(
    String name,
    DatabaseConfig database,
    int maxConcurrentAudits,
    Optional<TargetTemplate> template) {

  /**
   * Between a template's name and a tenant's in a member's name, and an audit's id and a tenant.
   */
  public static final String TENANT_SEPARATOR = "@";

  /** A single database. */
  public TargetConfig(String name, DatabaseConfig database, int maxConcurrentAudits) {
    this(name, database, maxConcurrentAudits, Optional.empty());
  }

  /** The name of the member of template {@code template} for {@code tenant}. */
  public static String memberName(String template, String tenant) {
    return template + TENANT_SEPARATOR + tenant;
  }
}
