package io.integrityauditor.config;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.quartz.CronExpression;

/**
 * When an audit runs. Accepts what people write:
 *
 * <ul>
 *   <li>macros: {@code @hourly}, {@code @daily}, {@code @weekly} (Sunday 00:00), {@code @monthly},
 *       {@code @yearly}, and {@code @every 30s} for a fixed interval;
 *   <li>standard 5-field cron: {@code 0 3 * * 0} (minute hour day-of-month month day-of-week,
 *       Sunday = 0 or 7);
 *   <li>Quartz cron with seconds (6 or 7 fields): {@code 0 0 3 ? * SUN}.
 * </ul>
 *
 * Everything becomes either a Quartz cron expression or a fixed interval.
 *
 * @param written the text as written in the audit file
 * @param quartzCron the Quartz cron expression, or null for a fixed interval
 * @param every the fixed interval, or null for cron
 * @param zone the zone cron fields are read in
 */
public record Schedule(String written, String quartzCron, Duration every, ZoneId zone) {

  public static final String DEFAULT = "@weekly";

  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 0 1 1 ?",
          "@annually", "0 0 0 1 1 ?",
          "@monthly", "0 0 0 1 * ?",
          "@weekly", "0 0 0 ? * SUN",
          "@daily", "0 0 0 * * ?",
          "@midnight", "0 0 0 * * ?",
          "@hourly", "0 0 * * * ?");

  private static final Pattern EVERY = Pattern.compile("@every\\s+(\\S+)");
  private static final Pattern NUMBER = Pattern.compile("\\d+");

  /**
   * @throws IllegalArgumentException with a user-facing reason
   */
  public static Schedule parse(String text, ZoneId zone) {
    String trimmed = text.trim();
    String lower = trimmed.toLowerCase(Locale.ROOT);
    if (MACROS.containsKey(lower)) {
      return new Schedule(trimmed, MACROS.get(lower), null, zone);
    }
    Matcher every = EVERY.matcher(lower);
    if (every.matches()) {
      Duration interval =
          Durations.parse(every.group(1))
              .orElseThrow(
                  () -> new IllegalArgumentException("@every needs a duration like 30s or 5m"));
      if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("@every must be at least 1s");
      }
      return new Schedule(trimmed, null, interval, zone);
    }
    if (lower.startsWith("@")) {
      throw new IllegalArgumentException(
          "unknown macro '"
              + trimmed
              + "'; use @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>");
    }
    String[] fields = trimmed.split("\\s+");
    String quartz =
        switch (fields.length) {
          case 5 -> fromStandardCron(fields);
          case 6, 7 -> trimmed;
          default ->
              throw new IllegalArgumentException(
                  "a cron expression has 5 fields (minute hour day month weekday) or, for Quartz,"
                      + " 6-7 fields starting with seconds; found "
                      + fields.length);
        };
    checkRanges(trimmed, quartz.split("\\s+"));
    try {
      CronExpression expression = new CronExpression(quartz);
      expression.setTimeZone(TimeZone.getTimeZone(zone));
      if (expression.getNextValidTimeAfter(new Date()) == null) {
        throw new IllegalArgumentException("cron expression '" + trimmed + "' never fires again");
      }
    } catch (ParseException e) {
      throw new IllegalArgumentException(
          "invalid cron expression '" + trimmed + "': " + e.getMessage());
    }
    return new Schedule(trimmed, quartz, null, zone);
  }

  /** {@code m h dom mon dow} → {@code 0 m h dom mon dow} with Quartz's '?' and 1-based weekdays. */
  private static String fromStandardCron(String[] f) {
    String dayOfMonth = f[2];
    String dayOfWeek = f[4];
    if (dayOfWeek.equals("*") || dayOfWeek.equals("?")) {
      dayOfWeek = "?";
    } else if (dayOfMonth.equals("*") || dayOfMonth.equals("?")) {
      dayOfMonth = "?";
      dayOfWeek = quartzWeekdays(dayOfWeek);
    } else {
      throw new IllegalArgumentException(
          "restricting both day-of-month and day-of-week is not supported; use '*' for one");
    }
    return String.join(" ", "0", f[0], f[1], dayOfMonth, f[3], dayOfWeek);
  }

  /** Standard cron counts Sunday as 0 (or 7); Quartz as 1. Names pass through. */
  private static String quartzWeekdays(String field) {
    Matcher number = NUMBER.matcher(field);
    StringBuilder converted = new StringBuilder();
    int slash = field.indexOf('/');
    while (number.find()) {
      boolean isStep = slash >= 0 && number.start() > slash;
      int value = Integer.parseInt(number.group());
      if (!isStep && value > 7) {
        throw new IllegalArgumentException("day-of-week must be 0-7, found " + value);
      }
      number.appendReplacement(converted, isStep ? number.group() : String.valueOf(value % 7 + 1));
    }
    number.appendTail(converted);
    return converted.toString();
  }

  private static final String[] FIELD_NAMES = {
    "second", "minute", "hour", "day-of-month", "month", "day-of-week", "year"
  };
  private static final int[][] FIELD_RANGES = {
    {0, 59}, {0, 59}, {0, 23}, {1, 31}, {1, 12}, {1, 7}, {1970, 2199}
  };

  /** Quartz accepts some out-of-range numbers (minute 99) silently; we do not. */
  private static void checkRanges(String written, String[] fields) {
    for (int i = 0; i < fields.length && i < FIELD_RANGES.length; i++) {
      Matcher number = NUMBER.matcher(fields[i]);
      while (number.find()) {
        long value = Long.parseLong(number.group().length() > 9 ? "999999999" : number.group());
        boolean isStep = number.start() > 0 && fields[i].charAt(number.start() - 1) == '/';
        boolean isNth = number.start() > 0 && fields[i].charAt(number.start() - 1) == '#';
        int max = isNth ? 5 : FIELD_RANGES[i][1];
        int min = isStep || isNth ? 1 : FIELD_RANGES[i][0];
        if (value < min || value > max) {
          throw new IllegalArgumentException(
              "invalid cron expression '"
                  + written
                  + "': "
                  + FIELD_NAMES[i]
                  + " must be "
                  + min
                  + "-"
                  + max
                  + ", found "
                  + number.group());
        }
      }
    }
  }

  /** Time between two consecutive fire times (the expected interval, for staleness alerts). */
  public Duration expectedInterval() {
    if (every != null) {
      return every;
    }
    try {
      CronExpression expression = new CronExpression(quartzCron);
      expression.setTimeZone(TimeZone.getTimeZone(zone));
      Date first = expression.getNextValidTimeAfter(new Date());
      Date second = expression.getNextValidTimeAfter(first);
      return second == null
          ? Duration.ZERO
          : Duration.between(first.toInstant(), second.toInstant());
    } catch (ParseException e) {
      throw new IllegalStateException("validated at load", e);
    }
  }

  public Optional<Instant> nextAfter(Instant instant) {
    if (every != null) {
      return Optional.of(instant.plus(every));
    }
    try {
      CronExpression expression = new CronExpression(quartzCron);
      expression.setTimeZone(TimeZone.getTimeZone(zone));
      return Optional.ofNullable(expression.getNextValidTimeAfter(Date.from(instant)))
          .map(Date::toInstant);
    } catch (ParseException e) {
      throw new IllegalStateException("validated at load", e);
    }
  }

  @Override
  public String toString() {
    return written + (every == null ? " (" + zone + ")" : "");
  }
}
