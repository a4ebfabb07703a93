package io.integrityauditor.suggest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
  }

  /** The first pattern that matches the column, if any. */
  Optional<String> match(String schema, String table, String column) {
    String snake = Names.snake(column);
    for (Glob glob : globs) {
      boolean matches =
          glob.qualified()
              ? glob.pattern().matcher(table + "." + column).matches()
                  || glob.pattern().matcher(schema + "." + table + "." + column).matches()
              : glob.pattern().matcher(column).matches()
                  || glob.pattern().matcher(snake).matches()
                  || glob.pattern().matcher(column.toLowerCase(Locale.ROOT)).matches();
      if (matches) {
        return Optional.of(glob.text());
      }
    }
    return Optional.empty();
  }
}
