package io.integrityauditor.http;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An incoming request, already bounded in size.
 *
 * @param pathParameters values captured by the route's {@code {name}} segments
 * @param query query parameters (first value of each)
 */
public record HttpRequest(
    String method,
    String path,
    Map<String, String> pathParameters,
    Map<String, String> query,
    Map<String, List<String>> headers,
    String body) {

  public String pathParameter(String name) {
    return pathParameters.get(name);
  }

  public Optional<String> queryParameter(String name) {
    return Optional.ofNullable(query.get(name));
  }
}
