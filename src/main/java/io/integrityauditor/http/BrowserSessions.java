package io.integrityauditor.http;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in browsers of the on-call pages. Signing in presents the API token once, in a form; the
 * browser then holds a random session id in an {@code HttpOnly; SameSite=Strict} cookie (scripts
 * cannot read it, other sites cannot send it) and every form carries the session's CSRF token,
 * checked in constant time. Sessions live in this node's memory: a restart, or another node behind
 * a load balancer, asks to sign in again, which is the safe failure.
 */
final class BrowserSessions {
  static final String COOKIE = "ia_session";
  static final Duration LIFETIME = Duration.ofHours(12);

  /** More sessions than this: the oldest expire first (a bound against sign-in floods). */
  static final int MAX_SESSIONS = 1000;

  /** A signed-in browser. */
  record Session(String id, String csrf, Instant expiresAt) {
    boolean csrfMatches(String presented) {
      return presented != null && MessageDigest.isEqual(csrf.getBytes(), presented.getBytes());
    }
  }

  private final SecureRandom random = new SecureRandom();
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Clock clock;
  private final boolean secureCookie;

  /**
   * @param secureCookie mark the cookie {@code Secure} (the pages are reached over https)
   */
  BrowserSessions(Clock clock, boolean secureCookie) {
    this.clock = clock;
    this.secureCookie = secureCookie;
  }

  Session create() {
    Instant now = clock.instant();
    sessions.values().removeIf(s -> s.expiresAt().isBefore(now));
    while (sessions.size() >= MAX_SESSIONS) {
      sessions.values().stream()
          .min(Comparator.comparing(Session::expiresAt))
          .ifPresent(oldest -> sessions.remove(oldest.id()));
    }
    Session session = new Session(randomToken(), randomToken(), now.plus(LIFETIME));
    sessions.put(session.id(), session);
    return session;
  }

  Optional<Session> find(HttpRequest request) {
    return request
        .cookie(COOKIE)
        .map(sessions::get)
        .filter(session -> session.expiresAt().isAfter(clock.instant()));
  }

  void end(Session session) {
    sessions.remove(session.id());
  }

  String cookie(Session session) {
    return COOKIE
        + "="
        + session.id()
        + "; Path=/; HttpOnly; SameSite=Strict; Max-Age="
        + LIFETIME.toSeconds()
        + (secureCookie ? "; Secure" : "");
  }

  String expiredCookie() {
    return COOKIE
        + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        + (secureCookie ? "; Secure" : "");
  }

  private String randomToken() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
