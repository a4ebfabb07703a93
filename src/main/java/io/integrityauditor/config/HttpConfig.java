package io.integrityauditor.config;

import java.util.Optional;

/**
 * The worker's HTTP listener (the {@code http:} section): metrics, health and the JSON API.
 *
 * @param bind address to listen on
 * @param port port; 0 picks a free one (tests)
 * @param token bearer token required by state-changing endpoints (ack, trigger, reload)
 * @param readOnly serve no state-changing endpoint at all (then no token is needed)
 * @param enabled false disables the listener
 */
public record HttpConfig(
    String bind, int port, Optional<Secret> token, boolean readOnly, boolean enabled) {
  public static final int DEFAULT_PORT = 9464;

  public static final HttpConfig DEFAULTS =
      new HttpConfig("127.0.0.1", DEFAULT_PORT, Optional.empty(), false, true);
}
