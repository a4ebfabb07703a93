package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * New {@code @every} audits on a real node (issue 19 point 2): each interval trigger starts at its
 * audit's first-run moment, spread over {@code first_run_window} as {@link FirstRun} computes it,
 * not all when written; a node starting later with the same audits rewrites none of them.
 */
class IntervalFirstRunTest {
  static final Duration WINDOW = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void new_hourly_audits_start_spread_over_the_window_and_a_later_node_keeps_their_moments()
      throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("interval_target");
    TestPostgres.Database store = TestPostgres.newDatabase("interval_store");
    target.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int);");
    StringBuilder audits = new StringBuilder("audits:\n");
    for (int i = 1; i <= 6; i++) {
      audits.append(
          """
            - id: h%d
              kind: orphan
              child: orders.customer_id
              parent: customers.id
              schedule: '@every 1h'
          """
              .formatted(i));
    }
    audits.append(
        """
          - id: fast
            kind: orphan
            child: orders.customer_id
            parent: customers.id
            schedule: '@every 20s'
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", audits.toString());
    Path config =
        workspace.config(
            target,
            store,
            "scheduler: {first_run_window: %ds}\nhttp: {enabled: false}\n"
                .formatted(WINDOW.toSeconds()));

    Instant before = Instant.now();
    Map<String, Long> first;
    try (Worker worker = Worker.start(workspace.load(config), Clock.systemUTC())) {
      first = startTimes(store);
    }
    Instant after = Instant.now();
    assertThat(first).hasSize(7);
    // one moment per audit, at the offsets FirstRun gives their ids (the same on every node)
    long base =
        first.get("h1")
            - FirstRun.intervalStart("h1", Duration.ofHours(1), WINDOW, Instant.EPOCH)
                .toEpochMilli();
    for (int i = 1; i <= 6; i++) {
      String id = "h" + i;
      assertThat(first.get(id) - base)
          .as("start of %s", id)
          .isEqualTo(
              FirstRun.intervalStart(id, Duration.ofHours(1), WINDOW, Instant.EPOCH)
                  .toEpochMilli());
      assertThat(Instant.ofEpochMilli(first.get(id)))
          .isBetween(before.plus(WINDOW.dividedBy(10)), after.plus(WINDOW));
    }
    // an interval shorter than the window: its first run within one interval
    assertThat(first.get("fast") - base)
        .isEqualTo(
            FirstRun.intervalStart("fast", Duration.ofSeconds(20), WINDOW, Instant.EPOCH)
                .toEpochMilli());
    assertThat(Instant.ofEpochMilli(first.get("fast"))).isBefore(after.plusSeconds(20));

    // a node starting later with the same audits leaves their triggers as they are
    try (Worker later = Worker.start(workspace.load(config), Clock.systemUTC())) {
      assertThat(startTimes(store)).isEqualTo(first);
    }
  }

  private static Map<String, Long> startTimes(TestPostgres.Database store) {
    Map<String, Long> starts = new HashMap<>();
    for (Map<String, Object> row :
        store.query(
            "SELECT trigger_name, start_time FROM integrity_auditor.qrtz_triggers WHERE"
                + " trigger_group = 'audits'")) {
      starts.put((String) row.get("trigger_name"), (Long) row.get("start_time"));
    }
    return starts;
  }
}
