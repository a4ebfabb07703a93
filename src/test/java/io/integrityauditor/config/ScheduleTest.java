package io.integrityauditor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static final ZoneId UTC = ZoneId.of("UTC");

  @Test
  void macros_become_quartz_cron() {
    assertThat(Schedule.parse("@weekly", UTC).quartzCron()).isEqualTo("0 0 0 ? * SUN");
    assertThat(Schedule.parse("@daily", UTC).expectedInterval()).isEqualTo(Duration.ofDays(1));
    assertThat(Schedule.parse("@hourly", UTC).expectedInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(Schedule.parse("@every 90s", UTC).every()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void standard_five_field_cron_counts_sunday_as_zero() {
    Schedule sunday3am = Schedule.parse("0 3 * * 0", UTC);
    assertThat(sunday3am.quartzCron()).isEqualTo("0 0 3 ? * 1");
    assertThat(sunday3am.nextAfter(Instant.parse("2026-11-23T00:00:00Z")))
        .contains(Instant.parse("2026-11-29T03:00:00Z")); // the next Sunday
    assertThat(Schedule.parse("30 2 * * 1-5", UTC).quartzCron()).isEqualTo("0 30 2 ? * 2-6");
    assertThat(Schedule.parse("*/15 * * * *", UTC).quartzCron()).isEqualTo("0 */15 * * * ?");
    assertThat(Schedule.parse("0 0 1 * *", UTC).quartzCron()).isEqualTo("0 0 0 1 * ?");
  }

  @Test
  void quartz_cron_is_taken_as_written_and_time_zones_apply() {
    Schedule berlin = Schedule.parse("0 0 3 ? * SUN", ZoneId.of("Europe/Berlin"));
    assertThat(berlin.nextAfter(Instant.parse("2026-11-23T00:00:00Z")))
        .contains(Instant.parse("2026-11-29T02:00:00Z"));
  }

  @Test
  void nonsense_is_rejected_with_a_reason() {
    assertThatThrownBy(() -> Schedule.parse("@fortnightly", UTC))
        .hasMessageContaining("unknown macro");
    assertThatThrownBy(() -> Schedule.parse("0 3 * *", UTC)).hasMessageContaining("5 fields");
    assertThatThrownBy(() -> Schedule.parse("0 3 1 * 1", UTC))
        .hasMessageContaining("both day-of-month and day-of-week");
    assertThatThrownBy(() -> Schedule.parse("0 99 * * * ?", UTC))
        .hasMessageContaining("invalid cron expression");
  }
}
