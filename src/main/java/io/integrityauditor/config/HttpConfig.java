package io.integrityauditor.config;

import java.net.URI;
import java.util.Optional;

/**
 * The worker's HTTP listener (the {@code http:} section): metrics, health, the JSON API and the
 * on-call pages.
 *
 * @param bind address to listen on
 * @param port port; 0 picks a free one (tests)
 * @param token bearer token required by state-changing endpoints (ack, trigger, reload); also the
 *     password of the pages' sign-in form
 * @param readOnly serve no state-changing endpoint at all (then no token is needed)
 * @param enabled false disables the listener
 * @param links where the pages and the alert rules point on-call
 * @param tls serve HTTPS from these PEM files instead of plain HTTP
 */
public record HttpConfig(
    String bind,
    int port,
    Optional<Secret> token,
    boolean readOnly,
    boolean enabled,
    Links links,
    Optional<TlsConfig> tls) {
  public static final int DEFAULT_PORT = 9464;

  public static final HttpConfig DEFAULTS =
      new HttpConfig("127.0.0.1", DEFAULT_PORT, Optional.empty(), false, true);

  public HttpConfig(
      String bind, int port, Optional<Secret> token, boolean readOnly, boolean enabled) {
    this(bind, port, token, readOnly, enabled, Links.NONE, Optional.empty());
  }

  /**
   * Absolute http(s) URLs.
   *
   * @param externalUrl this worker as on-call's browser reaches it (behind a proxy, say), e.g.
   *     {@code https://auditor.example.internal}; exported for the alert rules' links
   * @param runbookUrl docs/runbook.md where it is browsable; the pages link to its sections
   * @param grafanaUrl the shipped dashboard's URL; the pages add {@code var-audit=...}
   */
  public record Links(
      Optional<URI> externalUrl, Optional<URI> runbookUrl, Optional<URI> grafanaUrl) {
    public static final Links NONE =
        new Links(Optional.empty(), Optional.empty(), Optional.empty());
  }
}
