package io.integrityauditor.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.owasp.encoder.Encode;

/**
 * HTML written from Java. Markup is appended with {@link #tag} and is always a literal of this
 * package; every value (ids, keys, notes, SQL: user data) goes through {@link #text} or {@link
 * #attr}, which encode it for its context with OWASP's encoder. Attributes are always
 * double-quoted.
 */
final class Html {
  private final StringBuilder out = new StringBuilder(8192);

  /** Literal markup of this package, never a value. */
  Html tag(String markup) {
    out.append(markup);
    return this;
  }

  /** A value as element content. */
  Html text(Object value) {
    out.append(Encode.forHtmlContent(String.valueOf(value)));
    return this;
  }

  /** A value inside a double-quoted attribute. */
  Html attr(Object value) {
    out.append(Encode.forHtmlAttribute(String.valueOf(value)));
    return this;
  }

  /** {@code <a href="href">text</a>}; the href is a path built with {@link #path} or a URL. */
  Html link(String href, Object text) {
    return tag("<a href=\"").attr(href).tag("\">").text(text).tag("</a>");
  }

  /** A path whose segments are user values: each segment percent-encoded. */
  static String path(String... segments) {
    StringBuilder path = new StringBuilder();
    for (String segment : segments) {
      path.append('/').append(Encode.forUriComponent(segment));
    }
    return path.toString();
  }

  @Override
  public String toString() {
    return out.toString();
  }

  /** The CSP source of an inline block: {@code 'sha256-...'}. */
  static String cspHash(String inline) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(inline.getBytes(StandardCharsets.UTF_8));
      return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
