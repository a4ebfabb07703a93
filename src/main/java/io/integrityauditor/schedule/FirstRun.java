package io.integrityauditor.schedule;

import io.integrityauditor.config.TargetConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import org.quartz.CronTrigger;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;

/**
 * The first run of an audit new to the cluster, or whose definition changed: with the default
 * {@code @weekly} a fresh cluster would otherwise run nothing until Sunday. A one-off trigger of
 * the audit's job fires at a moment derived from the audit's id, spread over {@code
 * first_run_window} (none in its first tenth, so nodes starting together come up first), so that a
 * thousand new audits do not start at once; the audit then follows its schedule. An interval
 * schedule ({@code @every}) needs no trigger of its own: its trigger starts at the same kind of
 * moment ({@link #intervalStart}), so its first fire is its first run. The trigger is written with
 * the job, in the same Quartz transaction, only by the node that finds the job new or changed; once
 * fired it is gone, so a node that starts later writes none.
 */
final class FirstRun {
  /** Trigger group of the one-off first runs (their names are the audit ids). */
  static final String GROUP = "first-runs";

  private FirstRun() {}

  /**
   * The first-run trigger of an audit whose regular trigger {@code regular} was just built, or
   * empty when its schedule fires before the first run would anyway.
   */
  static Optional<Trigger> trigger(String auditId, Trigger regular, Duration window, Instant now) {
    if (!(regular instanceof CronTrigger cron)) {
      return Optional.empty();
    }
    Instant at = at(auditId, window, now);
    Date scheduled = cron.getFireTimeAfter(Date.from(now));
    if (scheduled != null && !scheduled.toInstant().isAfter(at)) {
      return Optional.empty();
    }
    return Optional.of(
        TriggerBuilder.newTrigger()
            .withIdentity(auditId, GROUP)
            .forJob(regular.getJobKey())
            .withDescription("first run")
            .startAt(Date.from(at))
            .withSchedule(
                SimpleScheduleBuilder.simpleSchedule()
                    .withRepeatCount(0)
                    // A first run has one fire time: late or not, it runs once, as soon as a
                    // thread is free, in fire-time order. Quartz's misfire handling would only
                    // rework it under its trigger lock: with thousands of first runs due at once
                    // (a new fleet, first_run_window: 0s) most passed the misfire threshold
                    // waiting for a thread, and both nodes' misfire handlers rewrote them 20 at a
                    // time while the runs waited for the same lock (about 1 run/s at 500 x 20).
                    // Quartz neither acquires such a trigger late nor calls it a misfire unless
                    // the instruction says to ignore the policy.
                    .withMisfireHandlingInstructionIgnoreMisfires())
            .build());
  }

  /**
   * When the interval trigger of a new or changed {@code @every} audit starts: spread like a cron
   * audit's first run, over the window, or over the interval when that is shorter (an audit every
   * 30 s first runs within 30 s, as it would have without a window). Were they all to start when
   * written, a thousand {@code @every 1h} audits added at once would run at once, every hour.
   */
  static Instant intervalStart(String auditId, Duration every, Duration window, Instant now) {
    if (auditId.contains(TargetConfig.TENANT_SEPARATOR)) {
      return spread(auditId, every, now); // a fleet's tenants: over the whole interval (issue 18)
    }
    return at(auditId, every.compareTo(window) < 0 ? every : window, now);
  }

  /** When the first run of {@code auditId} happens, scheduled at {@code now}. */
  static Instant at(String auditId, Duration window, Instant now) {
    long windowMillis = window.toMillis();
    if (windowMillis == 0) {
      return now;
    }
    long earliest = windowMillis / 10;
    return now.plusMillis(earliest + Math.floorMod(hash(auditId), windowMillis - earliest));
  }

  /**
   * When an interval schedule starts: now, except for an audit of a template's tenant ({@code
   * id@tenant}), which starts at a moment derived from its id within one interval, so that the
   * tenants of a fleet do not all run at the same moment of every interval (the same moment on
   * every node: the trigger is shared through the store).
   */
  static Instant spread(String auditId, Duration interval, Instant now) {
    if (!auditId.contains(TargetConfig.TENANT_SEPARATOR) || interval.toMillis() <= 0) {
      return now;
    }
    return now.plusMillis(
        Math.multiplyExact(interval.toMillis(), spreadMillionths(auditId))
            / SpreadCronTrigger.MILLION);
  }

  /**
   * How far into each interval a tenant's runs come, in millionths of the interval: the first 8
   * bytes of the SHA-256 of {@code id@tenant}, modulo a million. One rule for {@code @every} and
   * cron schedules ({@link SpreadCronTrigger}).
   */
  static long spreadMillionths(String auditId) {
    return Math.floorMod(hash(auditId), SpreadCronTrigger.MILLION);
  }

  /** A well-mixed hash (String.hashCode of "a1", "a2", ... would put them a millisecond apart). */
  private static long hash(String auditId) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(auditId.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
