package io.integrityauditor.schedule;

import io.integrityauditor.config.Schedule;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** The members of one weekly fleet audit, as a node schedules them. */
final class TenantAudits {
  private TenantAudits() {}

  /** {@code orders.customer@t_0} ... for {@code tenants} tenants, {@code @weekly}. */
  static List<AuditScheduler.ScheduledAudit> weekly(int tenants) {
    List<AuditScheduler.ScheduledAudit> audits = new ArrayList<>();
    for (int i = 0; i < tenants; i++) {
      audits.add(
          new AuditScheduler.ScheduledAudit(
              "orders.customer@t_" + i,
              "tenant " + i,
              Schedule.parse("@weekly", ZoneOffset.UTC),
              "statements"));
    }
    return audits;
  }
}
