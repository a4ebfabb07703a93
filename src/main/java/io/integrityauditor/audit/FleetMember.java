package io.integrityauditor.audit;

import io.integrityauditor.config.Fields;

/**
 * What makes an audit one tenant's copy of an audit written for a template: the metrics aggregate
 * the copies of one audit over its fleet instead of exporting a series set per tenant
 * (docs/metrics.md#fleets).
 *
 * @param audit the id as written in the audit file (the member's own id is {@code audit@tenant})
 * @param template the template target the audit was written for
 * @param tenant the tenant this copy runs on
 * @param metrics how the fleet appears in the metrics (the audit's {@code metrics:})
 */
public record FleetMember(String audit, String template, String tenant, Metrics metrics) {

  /**
   * An audit's {@code metrics:} settings; only audits of a template have them.
   *
   * @param perTenant also export every tenant's own per-audit series: opt-in, because 500 tenants ×
   *     20 audits would be 150,000 series
   * @param worstTenants how many tenants with the most violating rows are exported by name
   */
  public record Metrics(boolean perTenant, int worstTenants) {
    public static final int DEFAULT_WORST_TENANTS = 5;
    // a bound on the series of a fleet audit, whatever the number of tenants
    public static final int MAX_WORST_TENANTS = 50;
    public static final Metrics DEFAULT = new Metrics(false, DEFAULT_WORST_TENANTS);

    /** Reads {@code metrics: {per_tenant: true, worst_tenants: 10}}; problems are located. */
    static Metrics parse(Fields fields) {
      Metrics metrics =
          new Metrics(
              fields.bool("per_tenant").orElse(false),
              fields
                  .integer("worst_tenants", 0, MAX_WORST_TENANTS)
                  .map(Long::intValue)
                  .orElse(DEFAULT_WORST_TENANTS));
      fields.rejectUnknown();
      return metrics;
    }
  }
}
