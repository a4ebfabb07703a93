/**
 * The worker's HTTP listener (embedded Jetty 12, core API): {@code /metrics}, health probes and a
 * small JSON API whose payloads are wrapped as {@code {"data": ...}} and errors as {@code {"error":
 * {...}}}. State-changing endpoints require the configured bearer token.
 */
package io.integrityauditor.http;
