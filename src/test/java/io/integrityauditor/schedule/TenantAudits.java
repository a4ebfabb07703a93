package io.integrityauditor.schedule;

import java.util.ArrayList;
import java.util.List;

/** The members of one weekly fleet audit, as a node schedules them. */
final class TenantAudits {
  private TenantAudits() {}

  /** {@code orders.customer@t_0} ... for {@code tenants} tenants, {@code @weekly}. */
  static List<AuditScheduler.ScheduledAudit> weekly(int tenants) {
    List<AuditScheduler.ScheduledAudit> audits = new ArrayList<>();
    for (int i = 0; i < tenants; i++) {
      audits.add(SchedulerOnStore.weekly("orders.customer@t_" + i, "statements"));
    }
    return audits;
  }
}
