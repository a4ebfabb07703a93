package io.integrityauditor.config;

import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean ...?" for misspelt keys, tables and columns. */
public final class Suggest {
  private Suggest() {}

  /** The closest candidate within a small edit distance, ignoring case. */
  public static Optional<String> closest(String written, Collection<String> candidates) {
    String target = written.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int distance = distance(target, candidate.toLowerCase(Locale.ROOT));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    int allowed = Math.max(2, target.length() / 3);
    if (bestDistance <= allowed) {
      return Optional.ofNullable(best);
    }
    // config_id -> config_version_id: every word written appears in the candidate
    List<String> words = words(written);
    return candidates.stream()
        .filter(candidate -> words(candidate).containsAll(words))
        .min(Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()));
  }

  /** Lower-case words of snake_case, kebab-case and camelCase names. */
  static List<String> words(String name) {
    return Arrays.stream(name.split("(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+"))
        .filter(w -> !w.isEmpty())
        .map(w -> w.toLowerCase(Locale.ROOT))
        .toList();
  }

  /** " (did you mean x?)" or "". */
  public static String didYouMean(String written, Collection<String> candidates) {
    return closest(written, candidates).map(c -> " (did you mean " + c + "?)").orElse("");
  }

  private static int distance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 64) {
      return Integer.MAX_VALUE;
    }
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
