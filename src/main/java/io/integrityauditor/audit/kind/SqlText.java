package io.integrityauditor.audit.kind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks the text of a {@code kind: sql} query before it ever reaches the database: exactly one
 * statement, a query (SELECT, WITH, VALUES or TABLE), balanced parentheses (it becomes a subquery,
 * so it must not be able to close ours) and no bare {@code ?} (JDBC would read it as a parameter;
 * {@code ??} is the escape). Literals, quoted names, dollar-quoted strings and comments are skipped
 * the way PostgreSQL's lexer skips them.
 *
 * <p>This is a friendly early error, not the safety net: the query runs in a READ ONLY transaction,
 * which is what guarantees that nothing is written.
 */
final class SqlText {
  private static final List<String> QUERIES = List.of("select", "with", "values", "table");

  private SqlText() {}

  /**
   * The statement to run (without a trailing semicolon), or why it cannot be one.
   *
   * @param statement the text to wrap as a subquery, valid when {@code problem} is empty
   */
  record Scan(String statement, Optional<String> problem, List<String> calls) {
    Scan {
      calls = List.copyOf(calls);
    }

    static Scan failed(String problem) {
      return new Scan(null, Optional.of(problem), List.of());
    }
  }

  static Scan scan(String text) {
    int depth = 0;
    int end = text.length();
    String firstWord = null;
    // the last name seen, and the functions called: names followed by '(' (schema.name: name)
    String lastName = null;
    List<String> calls = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      char next = i + 1 < text.length() ? text.charAt(i + 1) : '\0';
      if (end < text.length()
          && !Character.isWhitespace(c)
          && !(c == '-' && next == '-')
          && !(c == '/' && next == '*')) {
        return Scan.failed(
            "only one statement is allowed: found more after the ';' (an audit query is one"
                + " SELECT)");
      }
      if (c == '\'') {
        boolean escapes =
            i > 0
                && (text.charAt(i - 1) == 'e' || text.charAt(i - 1) == 'E')
                && (i < 2 || !isIdentifierPart(text.charAt(i - 2)));
        i = skipQuoted(text, i, '\'', escapes);
        if (i < 0) {
          return Scan.failed("unterminated string literal");
        }
        continue;
      }
      if (c == '"') {
        int start = i;
        i = skipQuoted(text, i, '"', false);
        if (i < 0) {
          return Scan.failed("unterminated quoted name");
        }
        lastName = text.substring(start + 1, i - 1).replace("\"\"", "\"");
        continue;
      }
      if (c == '$' && (i == 0 || !isIdentifierPart(text.charAt(i - 1)))) {
        int close = dollarTagEnd(text, i);
        if (close > 0) {
          String tag = text.substring(i, close + 1);
          int found = text.indexOf(tag, close + 1);
          if (found < 0) {
            return Scan.failed("unterminated dollar-quoted string " + tag);
          }
          i = found + tag.length();
          continue;
        }
      }
      if (c == '-' && next == '-') {
        int newline = text.indexOf('\n', i);
        i = newline < 0 ? text.length() : newline + 1;
        continue;
      }
      if (c == '/' && next == '*') {
        i = skipBlockComment(text, i);
        if (i < 0) {
          return Scan.failed("unterminated /* comment");
        }
        continue;
      }
      if (c == ';') {
        end = i;
        i++;
        continue;
      }
      if (c == '?') {
        if (next == '?') {
          i += 2;
          continue;
        }
        return Scan.failed(
            "a bare ? would be read as a JDBC parameter; write ?? for the jsonb operator (?| and ?&"
                + " as ??| and ??&), or use jsonb_exists()");
      }
      if (c == '(') {
        depth++;
        if (lastName != null) {
          calls.add(lastName);
        }
        lastName = null;
      } else if (c == ')') {
        depth--;
        if (depth < 0) {
          return Scan.failed("unbalanced parentheses: a ')' closes nothing");
        }
      } else if (firstWord == null && Character.isLetter(c)) {
        int start = i;
        while (i < text.length() && isIdentifierPart(text.charAt(i))) {
          i++;
        }
        firstWord = text.substring(start, i).toLowerCase(Locale.ROOT);
        if (!QUERIES.contains(firstWord)) {
          return Scan.failed(
              "must be a query (SELECT, WITH ... SELECT, VALUES or TABLE), found "
                  + firstWord.toUpperCase(Locale.ROOT)
                  + ": audits only read, and run in READ ONLY transactions");
        }
        continue;
      } else if (Character.isLetter(c) || c == '_') {
        int start = i;
        while (i < text.length() && isIdentifierPart(text.charAt(i))) {
          i++;
        }
        // unquoted names fold to lower case, as PostgreSQL folds them
        lastName = text.substring(start, i).toLowerCase(Locale.ROOT);
        continue;
      } else if (!Character.isWhitespace(c) && c != '.') {
        lastName = null;
      }
      i++;
    }
    if (firstWord == null) {
      return Scan.failed("is empty: write the SELECT whose rows are the violations");
    }
    if (depth != 0) {
      return Scan.failed("unbalanced parentheses: " + depth + " '(' not closed");
    }
    return new Scan(text.substring(0, end).strip(), Optional.empty(), calls);
  }

  private static boolean isIdentifierPart(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }

  /** Index after the closing quote, or -1; a doubled quote (or backslash escape) stays inside. */
  private static int skipQuoted(String text, int start, char quote, boolean backslashEscapes) {
    for (int i = start + 1; i < text.length(); i++) {
      char c = text.charAt(i);
      if (backslashEscapes && c == '\\') {
        i++;
      } else if (c == quote) {
        if (i + 1 < text.length() && text.charAt(i + 1) == quote) {
          i++;
        } else {
          return i + 1;
        }
      }
    }
    return -1;
  }

  /**
   * For {@code $tag$} or {@code $$} at {@code start}, the index of the closing {@code $}; else -1.
   */
  private static int dollarTagEnd(String text, int start) {
    int i = start + 1;
    if (i < text.length() && Character.isDigit(text.charAt(i))) {
      return -1; // $1 is a parameter, not a tag
    }
    while (i < text.length() && text.charAt(i) != '$') {
      char c = text.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '_')) {
        return -1;
      }
      i++;
    }
    return i < text.length() ? i : -1;
  }

  /** Block comments nest in PostgreSQL. */
  private static int skipBlockComment(String text, int start) {
    int depth = 0;
    for (int i = start; i < text.length() - 1; i++) {
      if (text.charAt(i) == '/' && text.charAt(i + 1) == '*') {
        depth++;
        i++;
      } else if (text.charAt(i) == '*' && text.charAt(i + 1) == '/') {
        depth--;
        i++;
        if (depth == 0) {
          return i + 1;
        }
      }
    }
    return -1;
  }
}
