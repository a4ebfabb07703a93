package io.integrityauditor.http;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An incoming request, already bounded in size.
 *
 * @param pathParameters values captured by the route's {@code {name}} segments
 * @param query query parameters (first value of each)
 * @param headers request headers by name (case-insensitive)
 * @param cookies cookies by name (first value of each)
 */
public record HttpRequest(
    String method,
    String path,
    Map<String, String> pathParameters,
    Map<String, String> query,
    Map<String, List<String>> headers,
    Map<String, String> cookies,
    String body) {

  public String pathParameter(String name) {
    return pathParameters.get(name);
  }

  public Optional<String> queryParameter(String name) {
    return Optional.ofNullable(query.get(name));
  }

  public Optional<String> header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  public Optional<String> cookie(String name) {
    return Optional.ofNullable(cookies.get(name));
  }
}
