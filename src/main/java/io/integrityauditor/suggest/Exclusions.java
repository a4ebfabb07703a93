package io.integrityauditor.suggest;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Glob patterns ({@code *} any run of characters, {@code ?} one) for columns that hold ids of other
 * systems. Case-insensitive; a pattern without a dot is matched against the column name and its
 * snake_case form (so {@code stripe_*} also catches {@code stripeCustomerId}), a pattern with a dot
 * against {@code table.column} and {@code schema.table.column}.
 */
final class Exclusions {
  private record Glob(String text, Pattern pattern, boolean qualified) {}

  private final List<Glob> globs;

  /** All unqualified patterns in one, so most columns are cleared with three matches. */
  private final Pattern anyUnqualified;

  private final boolean anyQualified;

  Exclusions(List<String> patterns) {
    List<Glob> compiled = new ArrayList<>();
    for (String text : patterns) {
      StringBuilder regex = new StringBuilder();
      for (char c : text.toCharArray()) {
        switch (c) {
          case '*' -> regex.append(".*");
          case '?' -> regex.append('.');
          default -> regex.append(Pattern.quote(String.valueOf(c)));
        }
      }
      compiled.add(
          new Glob(
              text,
              Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE),
              text.contains(".")));
    }
    this.globs = List.copyOf(compiled);
    this.anyUnqualified =
        Pattern.compile(
            String.join(
                "|",
                compiled.stream()
                    .filter(g -> !g.qualified())
                    .map(g -> "(?:" + g.pattern().pattern() + ")")
                    .toList()),
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    this.anyQualified = compiled.stream().anyMatch(Glob::qualified);
  }

  /** The first pattern that matches the column, if any. */
  Optional<String> match(String schema, String table, String column) {
    String snake = Names.snake(column);
    if (!anyQualified
        && !anyUnqualified.matcher(column).matches()
        && !anyUnqualified.matcher(snake).matches()) {
      return Optional.empty();
    }
    for (Glob glob : globs) {
      boolean matches =
          glob.qualified()
              ? glob.pattern().matcher(table + "." + column).matches()
                  || glob.pattern().matcher(schema + "." + table + "." + column).matches()
              : glob.pattern().matcher(column).matches() || glob.pattern().matcher(snake).matches();
      if (matches) {
        return Optional.of(glob.text());
      }
    }
    return Optional.empty();
  }
}
