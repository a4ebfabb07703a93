package io.integrityauditor.schedule;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerKey;

/**
 * Fire times that came while an audit's run was still going are skipped, not run one after the
 * other behind it. While a job of {@code @DisallowConcurrentExecution} runs, Quartz keeps its
 * trigger {@code BLOCKED} in the store, cluster-wide, and the trigger's next fire time stays at the
 * first fire time that came meanwhile; when the run ends, Quartz would fire that one at once
 * (within the misfire threshold), then the next, each later than the one before. So before the job
 * returns, while the trigger is still blocked, the trigger's next fire time moves to the first one
 * after now, and the fire times passed over are handed back to be recorded as skipped. Quartz then
 * unblocks the trigger as usual. Misfires after downtime (the trigger was waiting, not blocked) are
 * left to the misfire instruction: one run.
 */
final class Overrun {
  /** Skipped fire times recorded one by one; beyond this they are only counted. */
  static final int RECORDED_LIMIT = 1_000;

  /**
   * The fire times an overrunning run passed over.
   *
   * @param fireTimes the first {@link #RECORDED_LIMIT} of them
   * @param notListed how many more there were
   * @param next the trigger's next fire time now
   */
  record Skipped(List<Instant> fireTimes, long notListed, Instant next) {
    Skipped {
      fireTimes = List.copyOf(fireTimes);
    }
  }

  private Overrun() {}

  /**
   * Moves the audit's trigger past the fire times that came while its run was going, if any did.
   *
   * @return the fire times skipped (none when only a catch-up of an earlier misfire came: the run
   *     that just ended is the run it stood for); empty when nothing came, or when the trigger is
   *     not the blocked one this run left (a reload replaced it meanwhile)
   */
  static Optional<Skipped> skipPassedFireTimes(
      Scheduler scheduler, DataSource store, String auditId, Instant now)
      throws SchedulerException, SQLException {
    TriggerKey key = TriggerKey.triggerKey(auditId, QuartzCluster.GROUP);
    Trigger trigger = scheduler.getTrigger(key);
    if (trigger == null || trigger.getNextFireTime() == null) {
      return Optional.empty();
    }
    Optional<Skipped> skipped = passed(trigger, Date.from(now).getTime() + 1);
    if (skipped.isEmpty() || trigger.getNextFireTime().toInstant().isAfter(now)) {
      return Optional.empty();
    }
    return QuartzTriggers.moveBlockedNextFireTime(
            store, key, trigger.getNextFireTime().toInstant(), skipped.get().next())
        ? skipped
        : Optional.empty();
  }

  /**
   * The fire times of the trigger's schedule from its next one up to {@code endMillis} (exclusive),
   * and the first one after. A next fire time that is the catch-up of a misfire is not one of them
   * ({@link Misfires#nextScheduled}).
   *
   * @return empty when the schedule ends before {@code endMillis}
   */
  static Optional<Skipped> passed(Trigger trigger, long endMillis) {
    Date next = Misfires.nextScheduled(trigger);
    List<Instant> fireTimes = new ArrayList<>();
    long notListed = 0;
    while (next != null && next.getTime() < endMillis) {
      if (fireTimes.size() < RECORDED_LIMIT) {
        fireTimes.add(next.toInstant());
      } else {
        notListed++;
      }
      next = trigger.getFireTimeAfter(next);
    }
    if (next == null) {
      return Optional.empty();
    }
    return Optional.of(new Skipped(fireTimes, notListed, next.toInstant()));
  }
}
