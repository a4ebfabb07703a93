package io.integrityauditor.config;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A target that stands for a fleet of tenants: every database of its server whose name matches
 * {@code pattern} ({@code databases:}), or every schema of its database that does ({@code
 * schemas:}). Each tenant becomes a member target; audits of the template run on every member.
 *
 * @param layout a database or a schema per tenant
 * @param pattern which names are tenants (see {@link #matches})
 * @param discoverEvery how often {@code serve} lists the tenants again (also on every reload)
 */
public record TargetTemplate(Layout layout, String pattern, Duration discoverEvery) {
  public static final Duration DEFAULT_DISCOVER_EVERY = Duration.ofMinutes(5);

  /** Where a tenant lives. */
  public enum Layout {
    DATABASES,
    SCHEMAS
  }

  /**
   * Whether a tenant name matches: {@code *} and {@code %} match any run of characters (SQL LIKE
   * and glob spellings alike), {@code ?} one character; everything else, {@code _} included,
   * matches itself (so {@code tenant_%} means "starts with tenant_").
   */
  public boolean matches(String name) {
    return regex(pattern).matcher(name).matches();
  }

  /** The same matching for any pattern (an audit's {@code tenants:} narrowing too). */
  public static boolean matches(String pattern, String name) {
    return regex(pattern).matcher(name).matches();
  }

  private static Pattern regex(String pattern) {
    StringBuilder regex = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      if (c == '*' || c == '%' || c == '?') {
        regex.append(Pattern.quote(literal.toString()));
        literal.setLength(0);
        regex.append(c == '?' ? "." : ".*");
      } else {
        literal.append(c);
      }
    }
    regex.append(Pattern.quote(literal.toString()));
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }
}
