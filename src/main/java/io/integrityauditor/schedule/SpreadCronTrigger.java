package io.integrityauditor.schedule;

import java.text.ParseException;
import java.util.Date;
import java.util.Map;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import org.quartz.CronExpression;
import org.quartz.CronTrigger;
import org.quartz.ScheduleBuilder;
import org.quartz.impl.triggers.CronTriggerImpl;
import org.quartz.spi.MutableTrigger;

/**
 * The cron trigger of a fleet's tenant audit ({@code id@tenant}): it fires once per interval of its
 * cron expression, not at the cron time but a fixed fraction of the way to the next one. With the
 * cron times {@code c1 < c2 < ...}, fire {@code k} comes at {@code ck + spread × (c(k+1) - ck)},
 * always before {@code c(k+1)}: the fraction derived from the audit's id ({@link
 * FirstRun#spreadMillionths}), so every node and every reload computes the same moments, and the
 * tenants of one audit fill each interval instead of all starting at the cron time. An irregular
 * expression (9:00 and 12:00) spreads each fire over its own gap (3 h, then 21 h). The cron time
 * with no later one (an expression with a last year) fires at that time.
 *
 * <p>Quartz computes every fire time through {@link #getTimeAfter}, so first fires, misfires and
 * overrun skips all follow the spread. Stored in the simple-properties table by {@link
 * SpreadCronTriggerPersistence}.
 */
final class SpreadCronTrigger extends CronTriggerImpl {
  private static final long serialVersionUID = 1L;

  /** Parts per million of each interval between two cron times. */
  static final long MILLION = 1_000_000;

  private long spread;

  /**
   * The schedule of a trigger firing {@code spread} millionths into each interval of {@code cron}.
   */
  static Builder schedule(String cron, TimeZone zone, long spread) {
    CronExpression expression =
        PARSED.computeIfAbsent(
            cron + " " + zone.getID(),
            key -> {
              try {
                CronExpression parsed = new CronExpression(cron);
                parsed.setTimeZone(zone);
                return parsed;
              } catch (ParseException e) {
                throw new IllegalArgumentException("validated at load: " + cron, e);
              }
            });
    return new Builder(expression, spread, MISFIRE_INSTRUCTION_FIRE_ONCE_NOW);
  }

  /**
   * Parsed expressions by text and zone, shared by the triggers built from them: every tenant of a
   * fleet audit has the same expression, and parsing it once per tenant was a third of the CPU a
   * node's first start spent building 10,000 tenant triggers (JFR, 500 × 20). Sharing is safe:
   * after parsing, a {@link CronExpression} is only read (fire times are computed on a calendar of
   * each call's own), and its one setter, the zone, is part of the key, so every trigger sets the
   * zone it already has. Quartz reads stored triggers back with expressions of their own.
   */
  private static final Map<String, CronExpression> PARSED = new ConcurrentHashMap<>();

  long spread() {
    return spread;
  }

  /**
   * As {@link CronTriggerImpl#getFireTimeAfter}, but never before the start: the cron trigger looks
   * from a second before it (cron times are whole seconds), and a spread moment in that second
   * would fire before the trigger started.
   */
  @Override
  public Date getFireTimeAfter(Date afterTime) {
    Date after = afterTime == null ? new Date() : afterTime;
    if (getStartTime() != null && after.before(getStartTime())) {
      after = new Date(getStartTime().getTime() - 1);
    }
    if (getEndTime() != null && after.compareTo(getEndTime()) >= 0) {
      return null;
    }
    Date fire = getTimeAfter(after);
    return fire != null && getEndTime() != null && fire.after(getEndTime()) ? null : fire;
  }

  @Override
  protected Date getTimeAfter(Date after) {
    Date next = super.getTimeAfter(after);
    if (next == null) {
      return null;
    }
    Interval interval = interval(after, next);
    // the interval holding `after` may still have its spread moment ahead
    if (interval.previous() != null) {
      Date current = spread(interval.previous(), next);
      if (current.after(after)) {
        return current;
      }
    }
    return interval.following() == null ? next : spread(next, interval.following());
  }

  /**
   * The cron times around a moment: the last one at or before it, the next after it (given), and
   * the one after that.
   */
  private record Interval(Date previous, Date next, Date following) {}

  /**
   * The last interval computed, by expression and zone. Every tenant of a fleet audit has the same
   * expression, and Quartz finds a cron time before a moment by searching forward from earlier
   * ones: with ten thousand tenant audits, a node's first start spent most of its time writing the
   * jobs there. Between two cron times nothing changes, so the interval found for one tenant serves
   * every moment up to the next cron time.
   */
  private static final Map<String, Interval> LAST_INTERVAL = new ConcurrentHashMap<>();

  private Interval interval(Date after, Date next) {
    String key = getCronExpression() + " " + getTimeZone().getID();
    Interval last = LAST_INTERVAL.get(key);
    if (last != null
        && last.next().equals(next)
        && last.previous() != null
        && !last.previous().after(after)) {
      return last;
    }
    Interval found =
        new Interval(
            super.getTimeBefore(new Date(after.getTime() + 1)), next, super.getTimeAfter(next));
    LAST_INTERVAL.put(key, found);
    return found;
  }

  private Date spread(Date cron, Date nextCron) {
    long gap = nextCron.getTime() - cron.getTime();
    return new Date(cron.getTime() + Math.multiplyExact(gap, spread) / MILLION);
  }

  /** Tells Quartz's plain cron persistence that this trigger is not one it can store. */
  @Override
  public boolean hasAdditionalProperties() {
    return true;
  }

  @Override
  public ScheduleBuilder<CronTrigger> getScheduleBuilder() {
    CronExpression expression;
    try {
      expression = new CronExpression(getCronExpression());
    } catch (ParseException e) {
      throw new IllegalStateException(e);
    }
    expression.setTimeZone(getTimeZone());
    return new Builder(expression, spread, getMisfireInstruction());
  }

  /** Builds a {@link SpreadCronTrigger} (Quartz builds triggers from a schedule builder). */
  static final class Builder extends ScheduleBuilder<CronTrigger> {
    private final CronExpression cron;
    private final long spread;
    private final int misfireInstruction;

    Builder(CronExpression cron, long spread, int misfireInstruction) {
      if (spread < 0 || spread >= MILLION) {
        throw new IllegalArgumentException("spread must be in [0, 1000000): " + spread);
      }
      this.cron = cron;
      this.spread = spread;
      this.misfireInstruction = misfireInstruction;
    }

    @Override
    protected MutableTrigger build() {
      SpreadCronTrigger trigger = new SpreadCronTrigger();
      trigger.setCronExpression(cron);
      trigger.setTimeZone(cron.getTimeZone());
      trigger.setMisfireInstruction(misfireInstruction);
      trigger.spread = spread;
      return trigger;
    }
  }
}
