package io.integrityauditor.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as configuration files write them: {@code 90s}, {@code 5m}, {@code 1h30m}, {@code
 * 250ms}, ISO-8601 {@code PT5M}, or a bare number of seconds.
 */
public final class Durations {
  private static final Pattern DURATION_PART =
      Pattern.compile("(\\d+)(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private Durations() {}

  public static Optional<Duration> parse(String text) {
    String trimmed = text.trim();
    if (trimmed.matches("\\d{1,9}")) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(trimmed)));
    }
    if (trimmed.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Optional.of(Duration.parse(trimmed.toUpperCase(Locale.ROOT)));
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }
    Matcher matcher = DURATION_PART.matcher(trimmed);
    Duration total = Duration.ZERO;
    int end = 0;
    while (matcher.find()) {
      if (matcher.start() != end || matcher.group(1).length() > 9) {
        return Optional.empty();
      }
      long amount = Long.parseLong(matcher.group(1));
      total =
          total.plus(
              switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
              });
      end = matcher.end();
    }
    return end == trimmed.length() && end > 0 ? Optional.of(total) : Optional.empty();
  }

  /** 90 seconds as "1m30s", for messages and documentation. */
  public static String format(Duration duration) {
    if (duration.toMillis() % 1000 != 0) {
      return duration.toMillis() + "ms";
    }
    long seconds = duration.toSeconds();
    StringBuilder text = new StringBuilder();
    if (seconds >= 86400 && seconds % 86400 == 0) {
      return seconds / 86400 + "d";
    }
    if (seconds >= 3600) {
      text.append(seconds / 3600).append('h');
      seconds %= 3600;
    }
    if (seconds >= 60) {
      text.append(seconds / 60).append('m');
      seconds %= 60;
    }
    if (seconds > 0 || text.length() == 0) {
      text.append(seconds).append('s');
    }
    return text.toString();
  }
}
