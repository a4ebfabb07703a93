package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tenants of a fleet start their interval schedules spread over one interval. */
class TenantSpreadTest {
  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

  @Test
  void an_audit_of_a_single_database_starts_now() {
    assertThat(FirstRun.spread("orders.customer", Duration.ofMinutes(10), NOW)).isEqualTo(NOW);
  }

  @Test
  void the_tenants_of_a_fleet_start_at_moments_derived_from_their_ids_within_one_interval() {
    Duration interval = Duration.ofMinutes(10);
    Set<Instant> starts = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      Instant start = FirstRun.spread("orders.customer@tenant_" + i, interval, NOW);
      assertThat(start).isBetween(NOW, NOW.plus(interval).minusMillis(1));
      // the same moment on every node and at every reload
      assertThat(FirstRun.spread("orders.customer@tenant_" + i, interval, NOW)).isEqualTo(start);
      starts.add(start);
    }
    // 500 tenants over 600,000 ms: no two at the same millisecond is likely, and they fill
    // every tenth of the interval
    assertThat(starts).hasSizeGreaterThan(490);
    for (int tenth = 0; tenth < 10; tenth++) {
      Instant from = NOW.plus(interval.multipliedBy(tenth).dividedBy(10));
      Instant to = NOW.plus(interval.multipliedBy(tenth + 1).dividedBy(10));
      assertThat(starts.stream().filter(s -> !s.isBefore(from) && s.isBefore(to)).count())
          .as("tenth %d", tenth)
          .isBetween(20L, 80L);
    }
  }
}
