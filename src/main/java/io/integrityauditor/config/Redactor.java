package io.integrityauditor.config;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets in text that leaves the process: log lines, error messages stored in the run
 * history, HTTP responses. Knows every {@link Secret} loaded so far, and also masks {@code
 * password=...} parameters of JDBC URLs.
 */
public final class Redactor {
  static final String MASK = "******";

  /** Secrets shorter than this are not searched for: masking "a" would garble every message. */
  private static final int MIN_LENGTH = 4;

  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)([?&;]password=)[^&;\\s]*");

  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

  private Redactor() {}

  static void register(String secret) {
    if (secret != null && secret.length() >= MIN_LENGTH) {
      SECRETS.add(secret);
    }
  }

  /** Text with every known secret and URL password replaced by {@value #MASK}. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String result = URL_PASSWORD.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    for (String secret : SECRETS) {
      if (result.contains(secret)) {
        result = result.replace(secret, MASK);
      }
    }
    return result;
  }
}
