package io.integrityauditor.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How to connect to one PostgreSQL database (the store or a target).
 *
 * @param url JDBC URL ({@code jdbc:postgresql://host:5432/db}); a {@code password=} parameter in it
 *     is moved into {@code password} and never shown
 * @param user role name
 * @param password from {@code password_env} or {@code password_file}; empty for trust/peer auth
 * @param poolSize maximum pooled connections
 * @param connectTimeout how long to wait for a connection
 */
public record DatabaseConfig(
    String url, String user, Optional<Secret> password, int poolSize, Duration connectTimeout) {

  /** The URL with any password masked, for logs and messages. */
  public String safeUrl() {
    return Redactor.redact(url);
  }
}
