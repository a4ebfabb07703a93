package io.integrityauditor.catalog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A table name as written in an audit file: {@code table}, {@code schema.table}, or with PostgreSQL
 * quoting for names that contain dots or are case-sensitive ({@code "My.Schema"."T"}). Names are
 * matched against the catalog exactly first, then case-insensitively.
 */
public record QualifiedName(Optional<String> schema, String name) {

  public static QualifiedName of(String schema, String name) {
    return new QualifiedName(Optional.ofNullable(schema), name);
  }

  /**
   * Parses {@code a}, {@code a.b}, {@code "a.b"."c"}.
   *
   * @throws IllegalArgumentException with a user-facing reason when the text is not a name
   */
  public static QualifiedName parse(String text) {
    List<String> parts = splitIdentifiers(text);
    return switch (parts.size()) {
      case 1 -> new QualifiedName(Optional.empty(), parts.get(0));
      case 2 -> new QualifiedName(Optional.of(parts.get(0)), parts.get(1));
      default ->
          throw new IllegalArgumentException(
              "expected 'table' or 'schema.table', found " + parts.size() + " dotted parts");
    };
  }

  /** Splits on dots outside double quotes; {@code ""} inside quotes is a literal quote. */
  public static List<String> splitIdentifiers(String text) {
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          current.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          current.append(c);
        }
      } else if (c == '"') {
        if (current.length() > 0) {
          throw new IllegalArgumentException("a quote may only start a name part");
        }
        quoted = true;
        wasQuoted = true;
      } else if (c == '.') {
        parts.add(finish(current, wasQuoted));
        current.setLength(0);
        wasQuoted = false;
      } else {
        if (wasQuoted) {
          throw new IllegalArgumentException("text after a closing quote");
        }
        current.append(c);
      }
    }
    if (quoted) {
      throw new IllegalArgumentException("unterminated double quote");
    }
    parts.add(finish(current, wasQuoted));
    return parts;
  }

  private static String finish(StringBuilder part, boolean quoted) {
    // checked before trimming: trim() also strips control characters, so "orders\0" was audited
    // as orders
    if (part.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "name contains a control character (U+"
              + String.format(
                  Locale.ROOT,
                  "%04X",
                  part.chars().filter(Character::isISOControl).findFirst().getAsInt())
              + "); remove it");
    }
    String text = quoted ? part.toString() : part.toString().trim();
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty name part");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > 63) {
      throw new IllegalArgumentException(
          "name '" + text + "' is longer than PostgreSQL's 63-byte limit");
    }
    return text;
  }

  @Override
  public String toString() {
    return schema.map(s -> s + "." + name).orElse(name);
  }
}
