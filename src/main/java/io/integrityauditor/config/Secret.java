package io.integrityauditor.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A password or token. {@link #toString()} never shows the value; only code that hands it to a
 * driver or compares a token calls {@link #reveal()}. Every secret is registered with {@link
 * Redactor} so that it is masked even if some library prints it.
 */
public final class Secret {
  private final String value;
  private final String origin;

  private Secret(String value, String origin) {
    this.value = Objects.requireNonNull(value);
    this.origin = origin;
    Redactor.register(value);
  }

  /**
   * @param origin where the value came from, safe to show ("environment variable APMS_PASSWORD")
   */
  public static Secret of(String value, String origin) {
    return new Secret(value, origin);
  }

  public String reveal() {
    return value;
  }

  public String origin() {
    return origin;
  }

  /** Constant-time comparison, for tokens presented by clients. */
  public boolean matches(String presented) {
    if (presented == null) {
      return false;
    }
    return MessageDigest.isEqual(
        value.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "****** (from " + origin + ")";
  }
}
