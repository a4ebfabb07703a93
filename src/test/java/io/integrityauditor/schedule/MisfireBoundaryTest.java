package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.Schedule;
import io.integrityauditor.store.LockClasses;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.Scheduler;
import org.quartz.Trigger;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.matchers.GroupMatcher;
import org.quartz.listeners.TriggerListenerSupport;

/**
 * Which fire times a misfire records (issue 19): every fire time of the schedule is run or recorded
 * as skipped, once, and nothing else is recorded, however late the misfire handling reads its clock
 * and however long the catch-up run then waits for a thread. On a real Quartz JDBC store; the
 * moments that decide it are forced, not raced: a listener registered after the node's own holds
 * every misfire of the audit 2.5 s between the node's listener and Quartz moving the trigger, and
 * the only thread is held by another audit until the test lets it go.
 */
class MisfireBoundaryTest {
  private static final Duration CAP = Duration.ofMinutes(2);

  /** Longer than a second of the schedule, so that fire times come during it. */
  private static final long HANDLING_MILLIS = 2_500;

  @TempDir Path dir;

  @Test
  void every_second_of_a_cron_schedule_is_run_or_recorded_once_and_no_catch_up_time_is_recorded()
      throws Exception {
    Fires fired = new Fires();
    SlowMisfireHandling slow = new SlowMisfireHandling();
    AuditScheduler.ScheduledAudit hog = audit("hog", "@yearly");
    AuditScheduler.ScheduledAudit everySecond = audit("every-second", "* * * * * ?");
    Instant scheduled;
    try (SchedulerOnStore node =
        SchedulerOnStore.open(
            dir,
            TestPostgres.newDatabase("misfire_boundary_store"),
            "first_run_window: 1h, threads: 1, misfire_threshold: 1s",
            fired)) {
      AuditScheduler scheduler = node.scheduler();
      scheduler.reconcile(List.of(hog), true);
      scheduler.start();
      assertThat(scheduler.requestRun("hog")).isTrue();
      assertThat(fired.hogRunning.await(CAP.toSeconds(), TimeUnit.SECONDS))
          .as("the only thread is held")
          .isTrue();
      // after the node's own listener (start() registered it): called between its copy of the
      // trigger and Quartz's clock reading for the catch-up time
      Scheduler quartz = SchedulerRepository.getInstance().lookup(QuartzCluster.SCHEDULER_NAME);
      quartz
          .getListenerManager()
          .addTriggerListener(slow, GroupMatcher.triggerGroupEquals(QuartzCluster.GROUP));
      scheduled = Instant.now();
      scheduler.reconcile(List.of(hog, everySecond), true);
      // the first misfire passes over real fire times; the next ones move a catch-up that waits
      // for the thread
      Eventually.within(CAP, "three misfires of the audit", () -> slow.misfires.get() >= 3);
      fired.release.countDown();
      Eventually.within(CAP, "three runs after the thread is free", () -> fired.runs.size() >= 3);
    } finally {
      fired.release.countDown();
    }

    List<Instant> recorded = List.copyOf(fired.recorded);
    List<Instant> runs = List.copyOf(fired.runs);
    String evidence = "recorded " + recorded + ", run " + runs;
    assertThat(recorded).as(evidence).isNotEmpty().doesNotHaveDuplicates();
    assertThat(recorded)
        .as("records at whole seconds only (a catch-up time is not a fire time): " + evidence)
        .allSatisfy(fireTime -> assertThat(fireTime.getNano()).as("%s", fireTime).isZero());
    assertThat(recorded).as("both run and recorded: " + evidence).doesNotContainAnyElementsOf(runs);
    Set<Instant> accounted = new HashSet<>(recorded);
    accounted.addAll(runs);
    Instant first = accounted.stream().min(Instant::compareTo).orElseThrow();
    Instant lastRun = runs.stream().max(Instant::compareTo).orElseThrow();
    // Quartz's cron trigger fires first at the whole second of its start, if it is one
    assertThat(first)
        .as(evidence)
        .isBetween(scheduled.truncatedTo(ChronoUnit.SECONDS), scheduled.plusSeconds(10));
    List<Instant> neither = new ArrayList<>();
    for (Instant second = first.truncatedTo(ChronoUnit.SECONDS);
        !second.isAfter(lastRun);
        second = second.plusSeconds(1)) {
      if (!second.isBefore(first) && !accounted.contains(second)) {
        neither.add(second);
      }
    }
    assertThat(neither).as("fire times neither run nor recorded: " + evidence).isEmpty();
  }

  @Test
  void
      a_run_ending_after_a_catch_up_time_moves_the_trigger_on_and_records_only_schedule_fire_times()
          throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("misfire_overrun_store");
    try (SchedulerOnStore node =
        SchedulerOnStore.open(dir, store, "first_run_window: 1h", new Fires())) {
      node.scheduler().reconcile(List.of(audit("every-second", "* * * * * ?")), true);
      // the trigger as a run of its job (a manual one) leaves it: started before, blocked, at the
      // catch-up time a misfire set half-way between two seconds, marked as such
      Instant now = Instant.now();
      Instant second = now.minusSeconds(3).truncatedTo(ChronoUnit.SECONDS);
      long catchUp = second.toEpochMilli() + 500;
      store.execute(
          ("UPDATE integrity_auditor.qrtz_triggers SET start_time = %d, next_fire_time = %d,"
                  + " trigger_state ="
                  + " 'BLOCKED', job_data = convert_to(convert_from(job_data, 'UTF8') || E'\\n%s=%d',"
                  + " 'UTF8') WHERE trigger_name = 'every-second' AND trigger_group = '%s'")
              .formatted(
                  second.minusSeconds(60).toEpochMilli(),
                  catchUp,
                  Misfires.CATCH_UP,
                  catchUp,
                  QuartzCluster.GROUP));
      Scheduler quartz = SchedulerRepository.getInstance().lookup(QuartzCluster.SCHEDULER_NAME);

      Overrun.Skipped skipped =
          Overrun.skipPassedFireTimes(quartz, store.dataSource(), "every-second", now)
              .orElseThrow();

      assertThat(skipped.fireTimes())
          .as("the seconds after the catch-up time, not the catch-up time")
          .containsExactly(second.plusSeconds(1), second.plusSeconds(2), second.plusSeconds(3));
      assertThat(skipped.next()).isEqualTo(second.plusSeconds(4));
      assertThat(
              store.queryLong(
                  "SELECT next_fire_time FROM integrity_auditor.qrtz_triggers WHERE trigger_name ="
                      + " 'every-second'"))
          .isEqualTo(second.plusSeconds(4).toEpochMilli());
    }
  }

  @Test
  void fire_times_before_a_node_started_are_recorded_as_misfired_when_a_peer_was_up()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("misfire_peer_store");
    // a peer node's session, connected before the fire times: the cluster was up then
    try (Connection peer = store.dataSource().getConnection();
        PreparedStatement lock =
            peer.prepareStatement("SELECT pg_advisory_lock(?, hashtext('peer'))")) {
      lock.setInt(1, LockClasses.NODE_SESSION);
      lock.execute();
      Started started = startLate(store);
      assertThat(started.recorded())
          .as("the fire times before the node's start, recorded once")
          .startsWith(started.beforeStart().toArray(Instant[]::new))
          .doesNotHaveDuplicates()
          .allSatisfy(fireTime -> assertThat(fireTime).isBefore(started.catchUp()));
    }
  }

  @Test
  void fire_times_before_a_node_started_are_not_recorded_when_no_node_was_up() throws Exception {
    Started started = startLate(TestPostgres.newDatabase("misfire_down_store"));
    assertThat(started.recorded())
        .as("downtime: a catch-up run, no record of a fire time before the start")
        .doesNotContainAnyElementsOf(started.beforeStart())
        .allSatisfy(fireTime -> assertThat(fireTime).isAfter(started.startedAt()));
  }

  /**
   * The fire times a node recorded as misfired, and its first run, when its scheduler starts 3.5 s
   * after an {@code @every 1s} audit was scheduled.
   */
  private Started startLate(TestPostgres.Database store) throws Exception {
    Fires fired = new Fires();
    Instant firstFireTime;
    Instant startedAt;
    try (SchedulerOnStore node =
        SchedulerOnStore.open(
            dir, store, "first_run_window: 0s, threads: 1, misfire_threshold: 1s", fired)) {
      AuditScheduler scheduler = node.scheduler();
      scheduler.reconcile(List.of(audit("every-second", "@every 1s")), true);
      firstFireTime = scheduler.nextFireTime("every-second").orElseThrow();
      Eventually.pause(3_500);
      startedAt = Instant.now();
      scheduler.start();
      Eventually.within(CAP, "the catch-up run", () -> !fired.runs.isEmpty());
    }
    return new Started(firstFireTime, startedAt, fired.runs.get(0), List.copyOf(fired.recorded));
  }

  private record Started(
      Instant firstFireTime, Instant startedAt, Instant catchUp, List<Instant> recorded) {
    /** The four fire times surely before the start (3.5 s after the first). */
    List<Instant> beforeStart() {
      return List.of(0, 1, 2, 3).stream().map(firstFireTime::plusSeconds).toList();
    }
  }

  private static AuditScheduler.ScheduledAudit audit(String id, String schedule) {
    return new AuditScheduler.ScheduledAudit(
        id, id, Schedule.parse(schedule, ZoneOffset.UTC), "statements");
  }

  /** Holds the "hog" run until released; keeps the fire times of the other audit. */
  private static final class Fires implements FiredJobs {
    final CountDownLatch hogRunning = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<Instant> runs = new CopyOnWriteArrayList<>();
    final List<Instant> recorded = new CopyOnWriteArrayList<>();

    @Override
    public void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering) {
      if (auditId.equals("hog")) {
        hogRunning.countDown();
        try {
          release.await(CAP.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else {
        runs.add(fireTime);
      }
    }

    @Override
    public void skippedOverrun(
        String auditId, Instant runFireTime, List<Instant> skipped, long notListed, Instant next) {
      recorded.addAll(skipped);
    }

    @Override
    public void skippedMisfire(String auditId, List<Instant> skipped, long notListed) {
      recorded.addAll(skipped);
    }

    @Override
    public void pruneHistory() {}
  }

  /** A misfire handling that takes 2.5 s between the node's listener and Quartz's own update. */
  private static final class SlowMisfireHandling extends TriggerListenerSupport {
    final AtomicInteger misfires = new AtomicInteger();

    @Override
    public String getName() {
      return "slow-misfire-handling";
    }

    @Override
    public void triggerMisfired(Trigger trigger) {
      misfires.incrementAndGet();
      Eventually.pause(HANDLING_MILLIS);
    }
  }
}
