package io.integrityauditor.audit;

import io.integrityauditor.Plural;
import java.util.Optional;

/**
 * When violations become a problem. With neither limit set, any violation breaches. With one or
 * both set, the audit breaches when a limit is exceeded: more than {@code maxViolations} rows, or a
 * violation ratio (violations / rows checked) above {@code maxRatio}.
 */
public record Threshold(Optional<Long> maxViolations, Optional<Double> maxRatio) {
  public static final Threshold ANY_VIOLATION = new Threshold(Optional.empty(), Optional.empty());

  public boolean breachedBy(long violations, long rowsChecked) {
    if (maxViolations.isEmpty() && maxRatio.isEmpty()) {
      return violations > 0;
    }
    if (maxViolations.isPresent() && violations > maxViolations.get()) {
      return true;
    }
    return maxRatio.isPresent()
        && rowsChecked > 0
        && (double) violations / rowsChecked > maxRatio.get();
  }

  public String describe() {
    if (maxViolations.isEmpty() && maxRatio.isEmpty()) {
      return "any violation";
    }
    StringBuilder text = new StringBuilder();
    maxViolations.ifPresent(max -> text.append("more than ").append(Plural.of(max, "violation")));
    maxRatio.ifPresent(
        ratio ->
            text.append(text.length() > 0 ? " or " : "").append("a ratio above ").append(ratio));
    return text.toString();
  }
}
