package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.spi.OperableTrigger;

/**
 * The tenants of a fleet audit on a cron schedule fire spread over each interval of the expression
 * (issue 18 point 4): a fixed fraction of the way from each cron time to the next, the fraction
 * derived from {@code id@tenant}. Fire times are computed, never waited for.
 */
class CronTenantSpreadTest {
  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
  static final TimeZone UTC = TimeZone.getTimeZone("UTC");
  static final long DAY = Duration.ofDays(1).toMillis();

  @TempDir Path dir;

  private static OperableTrigger trigger(String auditId, String cron, Instant start) {
    OperableTrigger trigger =
        (OperableTrigger)
            TriggerBuilder.newTrigger()
                .withIdentity(auditId, QuartzCluster.GROUP)
                .startAt(Date.from(start))
                .withSchedule(
                    SpreadCronTrigger.schedule(cron, UTC, FirstRun.spreadMillionths(auditId)))
                .build();
    trigger.computeFirstFireTime(null);
    return trigger;
  }

  /** The first {@code count} fire times, as Quartz advances the trigger fire after fire. */
  private static List<Instant> fires(OperableTrigger trigger, int count) {
    List<Instant> fires = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      fires.add(trigger.getNextFireTime().toInstant());
      trigger.triggered(null);
    }
    return fires;
  }

  @Test
  void the_spread_of_a_tenant_is_a_fixed_fraction_derived_from_its_id() {
    assertThat(FirstRun.spreadMillionths("orders.customer@tenant_7")).isEqualTo(277_368L);
    assertThat(FirstRun.spreadMillionths("orders.customer@tenant_8")).isEqualTo(675_875L);
    assertThat(FirstRun.spreadMillionths("orders.customer@tenant_8"))
        .as("the same on every node and at every reload")
        .isEqualTo(675_875L);
  }

  @Test
  void an_hourly_tenant_fires_the_same_fraction_into_every_hour() {
    // tenant_8: 675,875 millionths of an hour = 2,433,150 ms = 40 min 33.150 s
    assertThat(fires(trigger("orders.customer@tenant_8", "0 0 * * * ?", NOW), 3))
        .containsExactly(
            Instant.parse("2026-12-04T12:40:33.150Z"),
            Instant.parse("2026-12-04T13:40:33.150Z"),
            Instant.parse("2026-12-04T14:40:33.150Z"));
    // tenant_7: 277,368 millionths = 998,524 ms
    assertThat(fires(trigger("orders.customer@tenant_7", "0 0 * * * ?", NOW), 2))
        .containsExactly(
            Instant.parse("2026-12-04T12:16:38.524Z"), Instant.parse("2026-12-04T13:16:38.524Z"));
  }

  @Test
  void an_irregular_cron_spreads_each_fire_over_the_gap_to_the_next_cron_time() {
    // 09:00 and 12:00 every day: 3 h then 21 h; tenant_8 comes 0.675875 into each gap
    assertThat(fires(trigger("orders.customer@tenant_8", "0 0 9,12 * * ?", NOW), 3))
        .containsExactly(
            Instant.parse("2026-12-05T02:11:36.150Z"), // 12:00 + 0.675875 x 21 h
            Instant.parse("2026-12-05T11:01:39.450Z"), // 09:00 + 0.675875 x 3 h
            Instant.parse("2026-12-06T02:11:36.150Z"));
  }

  @Test
  void a_trigger_started_before_its_spread_moment_in_an_interval_fires_in_that_interval() {
    // written at 12:30, after the cron time, before tenant_8's moment (12:40:33.150)
    Instant start = Instant.parse("2026-12-04T12:30:00Z");
    assertThat(fires(trigger("orders.customer@tenant_8", "0 0 * * * ?", start), 1))
        .containsExactly(Instant.parse("2026-12-04T12:40:33.150Z"));
    // written after it: the next hour's
    Instant later = Instant.parse("2026-12-04T12:45:00Z");
    assertThat(fires(trigger("orders.customer@tenant_8", "0 0 * * * ?", later), 1))
        .containsExactly(Instant.parse("2026-12-04T13:40:33.150Z"));
  }

  @Test
  void after_downtime_the_next_fire_is_the_spread_moment_after_now() {
    OperableTrigger trigger = trigger("orders.customer@tenant_8", "0 0 * * * ?", NOW);
    assertThat(trigger.getFireTimeAfter(Date.from(Instant.parse("2026-12-04T15:35:00Z"))))
        .isEqualTo(Date.from(Instant.parse("2026-12-04T15:40:33.150Z")));
    assertThat(trigger.getFireTimeAfter(Date.from(Instant.parse("2026-12-04T15:50:00Z"))))
        .isEqualTo(Date.from(Instant.parse("2026-12-04T16:40:33.150Z")));
    assertThat(trigger.getFireTimeAfter(Date.from(Instant.parse("2026-12-04T16:00:00Z"))))
        .isEqualTo(Date.from(Instant.parse("2026-12-04T16:40:33.150Z")));
  }

  @Test
  void five_hundred_tenants_of_an_hourly_audit_fill_every_tenth_of_the_hour() {
    int[] tenths = new int[10];
    for (int i = 0; i < 500; i++) {
      Instant fire = fires(trigger("orders.customer@tenant_" + i, "0 0 * * * ?", NOW), 1).get(0);
      assertThat(fire).isBetween(NOW, NOW.plus(Duration.ofHours(1)).minusMillis(1));
      tenths[(int) (Duration.between(NOW, fire).toMillis() / 360_000)]++;
    }
    assertThat(tenths).containsExactly(54, 56, 61, 43, 49, 36, 58, 47, 62, 34);
  }

  @Test
  void a_cluster_stores_the_spread_trigger_and_a_node_starting_later_reads_the_same_moments()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("cron_spread_store");
    TestPostgres.Database shop = TestPostgres.newDatabase("cron_spread_shop");
    for (String schema : new String[] {"t_one", "t_two", "t_three"}) {
      shop.execute(
          "CREATE SCHEMA "
              + schema
              + "; SET search_path = "
              + schema
              + "; CREATE TABLE customers (id int PRIMARY KEY);"
              + " CREATE TABLE orders (id int PRIMARY KEY, customer_id int);");
    }
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/fleet.yaml",
        """
        audits:
          - id: orders.customer
            target: shop
            kind: orphan
            child: orders.customer_id
            parent: customers.id
            schedule: '@weekly'
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            node_id: spread
            store:
              url: %s
              user: postgres
            targets:
              shop:
                url: %s
                user: postgres
                schemas: "t_*"
            audits:
              - audits/*.yaml
            http: {enabled: false}
            """
                .formatted(store.url(), shop.url()));
    Map<String, Long> first;
    try (Worker worker = Worker.start(workspace.load(config), Clock.systemUTC())) {
      first = nextFireTimes(store); // written in bulk by the first node
      assertThat(first).hasSize(3);
      for (String tenant : new String[] {"t_one", "t_two", "t_three"}) {
        String id = "orders.customer@" + tenant;
        Instant next = Instant.ofEpochMilli(first.get(id));
        // the week's spread moment (weekly, so that no fire comes while the test runs): its
        // offset from Sunday 00:00 UTC is the tenant's fraction of the week (the epoch was a
        // Thursday, 3 days before a Sunday)
        long offset = Math.floorMod(next.toEpochMilli() - 3 * DAY, 7 * DAY);
        assertThat(offset)
            .as(id)
            .isEqualTo(7 * DAY * FirstRun.spreadMillionths(id) / SpreadCronTrigger.MILLION);
      }
    }
    // read back through Quartz (the trigger's own persistence): the same trigger, same moments
    WorkerConfig loaded = workspace.load(config);
    Scheduler reader =
        QuartzCluster.create(
            loaded.store().orElseThrow(),
            loaded.scheduler(),
            "reader",
            1,
            (bundle, scheduler) -> {
              throw new SchedulerException("never runs jobs");
            });
    try {
      for (String id : first.keySet()) {
        Trigger read = reader.getTrigger(TriggerKey.triggerKey(id, QuartzCluster.GROUP));
        assertThat(read).isInstanceOf(SpreadCronTrigger.class);
        assertThat(read.getNextFireTime().getTime()).isEqualTo(first.get(id));
        assertThat(read.getFireTimeAfter(read.getNextFireTime()).getTime())
            .isEqualTo(first.get(id) + 7 * DAY);
        // rewritten through the Quartz API (a reload's path), rebuilt from its own schedule
        reader.rescheduleJob(read.getKey(), read.getTriggerBuilder().build());
        Trigger rewritten = reader.getTrigger(read.getKey());
        assertThat(rewritten).isInstanceOf(SpreadCronTrigger.class);
        assertThat(rewritten.getNextFireTime().getTime()).isEqualTo(first.get(id));
      }
    } finally {
      reader.shutdown(false);
    }
    try (Worker later = Worker.start(workspace.load(config), Clock.systemUTC())) {
      assertThat(nextFireTimes(store)).isEqualTo(first);
    }
  }

  private static Map<String, Long> nextFireTimes(TestPostgres.Database store) {
    Map<String, Long> next = new HashMap<>();
    for (Map<String, Object> row :
        store.query(
            "SELECT t.trigger_name, t.next_fire_time FROM integrity_auditor.qrtz_triggers t"
                + " JOIN integrity_auditor.qrtz_simprop_triggers s USING (sched_name,"
                + " trigger_name, trigger_group) WHERE t.trigger_group = 'audits' AND"
                + " t.trigger_type = 'SPREAD' AND s.str_prop_1 = '0 0 0 ? * SUN'")) {
      next.put((String) row.get("trigger_name"), (Long) row.get("next_fire_time"));
    }
    return next;
  }
}
