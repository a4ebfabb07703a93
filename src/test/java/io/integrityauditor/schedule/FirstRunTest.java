package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.quartz.CronScheduleBuilder;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;

/** Where first runs fall: spread over the window, the same on every node, never in a burst. */
class FirstRunTest {
  static final Instant NOW = Instant.parse("2026-12-04T18:00:00Z");
  static final Duration WINDOW = Duration.ofMinutes(10);

  @Test
  void a_thousand_new_audits_are_spread_over_the_window_after_its_first_tenth() {
    int[] perMinute = new int[10];
    int[] perSecond = new int[600];
    for (int i = 1; i <= 1_000; i++) {
      Instant at = FirstRun.at("orders.audit_" + i, WINDOW, NOW);
      assertThat(at).isBetween(NOW.plus(Duration.ofMinutes(1)), NOW.plus(WINDOW));
      long second = Duration.between(NOW, at).toSeconds();
      perMinute[(int) (second / 60)]++;
      perSecond[(int) second]++;
    }
    assertThat(perMinute[0]).isZero();
    for (int minute = 1; minute < 10; minute++) {
      // 111 expected in each of the nine minutes
      assertThat(perMinute[minute]).as("minute %d", minute).isBetween(85, 140);
    }
    int most = 0;
    for (int count : perSecond) {
      most = Math.max(most, count);
    }
    assertThat(most).as("first runs starting in the same second").isLessThanOrEqualTo(8);
  }

  @Test
  void every_node_computes_the_same_moment_and_a_zero_window_runs_at_once() {
    assertThat(FirstRun.at("orders.customer", WINDOW, NOW))
        .isEqualTo(FirstRun.at("orders.customer", WINDOW, NOW))
        .isNotEqualTo(FirstRun.at("orders.customer2", WINDOW, NOW));
    assertThat(FirstRun.at("orders.customer", Duration.ZERO, NOW)).isEqualTo(NOW);
  }

  @Test
  void a_weekly_audit_gets_a_first_run_an_every_second_cron_and_an_interval_do_not() {
    Trigger weekly = cron("a", "0 0 0 ? * SUN");
    Trigger first = FirstRun.trigger("a", weekly, WINDOW, NOW).orElseThrow();
    assertThat(first.getKey().getGroup()).isEqualTo(FirstRun.GROUP);
    assertThat(first.getJobKey()).isEqualTo(weekly.getJobKey());
    assertThat(first.getStartTime()).isEqualTo(Date.from(FirstRun.at("a", WINDOW, NOW)));
    assertThat(FirstRun.trigger("b", cron("b", "* * * * * ?"), WINDOW, NOW)).isEmpty();
    Trigger interval =
        TriggerBuilder.newTrigger()
            .withIdentity("c", QuartzCluster.GROUP)
            .forJob("c", QuartzCluster.GROUP)
            .withSchedule(SimpleScheduleBuilder.repeatHourlyForever())
            .build();
    assertThat(FirstRun.trigger("c", interval, WINDOW, NOW)).isEmpty();
  }

  @Test
  void a_new_interval_audit_starts_within_the_window_or_within_its_interval_when_shorter() {
    Duration hourly = Duration.ofHours(1);
    assertThat(FirstRun.intervalStart("a", hourly, WINDOW, NOW))
        .isEqualTo(FirstRun.at("a", WINDOW, NOW));
    // an audit every 30 s is not made to wait up to 10 minutes for its first run
    Duration thirtySeconds = Duration.ofSeconds(30);
    assertThat(FirstRun.intervalStart("a", thirtySeconds, WINDOW, NOW))
        .isEqualTo(FirstRun.at("a", thirtySeconds, NOW))
        .isBetween(NOW.plusSeconds(3), NOW.plusSeconds(30));
    assertThat(FirstRun.intervalStart("a", hourly, Duration.ZERO, NOW)).isEqualTo(NOW);
  }

  @Test
  void a_thousand_new_hourly_audits_start_spread_over_the_window_not_at_once() {
    int[] perSecond = new int[600];
    for (int i = 1; i <= 1_000; i++) {
      Instant at = FirstRun.intervalStart("orders.audit_" + i, Duration.ofHours(1), WINDOW, NOW);
      perSecond[(int) Duration.between(NOW, at).toSeconds()]++;
    }
    int most = 0;
    for (int count : perSecond) {
      most = Math.max(most, count);
    }
    assertThat(perSecond[0]).as("starting at once").isZero();
    assertThat(most).as("hourly audits starting in the same second").isLessThanOrEqualTo(8);
  }

  private static Trigger cron(String id, String expression) {
    return TriggerBuilder.newTrigger()
        .withIdentity(id, QuartzCluster.GROUP)
        .forJob(id, QuartzCluster.GROUP)
        .startAt(Date.from(NOW))
        .withSchedule(
            CronScheduleBuilder.cronSchedule(expression).inTimeZone(TimeZone.getTimeZone("UTC")))
        .build();
  }
}
