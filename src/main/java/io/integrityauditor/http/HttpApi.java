package io.integrityauditor.http;

import io.integrityauditor.config.HttpConfig;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.Secret;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny router on {@link HttpConnections}. Every failure, protocol errors included, is a JSON
 * error with a 4xx/5xx status, never a stack trace; request bodies are bounded; path parameters are
 * validated by the route's pattern; state-changing routes check the bearer token in constant time.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  /** Larger bodies are refused with 413: no endpoint needs more. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  /** Path parameter values (audit ids, alert ids): what ids may contain, nothing else. */
  static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,99}";

  /** Handles one route. */
  @FunctionalInterface
  public interface Handler {
    HttpResponse handle(HttpRequest request) throws Exception;
  }

  private record Route(
      String method, Pattern pattern, List<String> names, boolean changesState, Handler handler) {}

  private final List<Route> routes = new ArrayList<>();
  private final HttpConfig config;
  private HttpConnections connections;

  public HttpApi(HttpConfig config) {
    this.config = config;
  }

  /** A read-only route; {@code path} may contain {@code {name}} segments. */
  public HttpApi get(String path, Handler handler) {
    return route("GET", path, false, handler);
  }

  /**
   * A state-changing route: needs the bearer token, and does not exist at all when the API is
   * configured read-only.
   */
  public HttpApi post(String path, Handler handler) {
    if (config.readOnly()) {
      return this;
    }
    return route("POST", path, true, handler);
  }

  private HttpApi route(String method, String path, boolean changesState, Handler handler) {
    List<String> names = new ArrayList<>();
    Matcher parameter = Pattern.compile("\\{(\\w+)}").matcher(path);
    StringBuilder regex = new StringBuilder();
    int last = 0;
    while (parameter.find()) {
      regex.append(Pattern.quote(path.substring(last, parameter.start())));
      regex.append("(").append(ID_PATTERN).append(")");
      names.add(parameter.group(1));
      last = parameter.end();
    }
    regex.append(Pattern.quote(path.substring(last)));
    routes.add(new Route(method, Pattern.compile(regex.toString()), names, changesState, handler));
    return this;
  }

  public HttpApi start() throws IOException {
    connections =
        new HttpConnections(
            new InetSocketAddress(config.bind(), config.port()),
            MAX_BODY_BYTES,
            this::handle,
            HttpApi::render);
    LOG.info("HTTP listening on {}:{}", config.bind(), port());
    return this;
  }

  public int port() {
    return connections.port();
  }

  private HttpConnections.Outgoing handle(HttpConnections.Incoming request) {
    HttpResponse response;
    try {
      response = dispatch(request);
    } catch (RuntimeException e) {
      LOG.error(
          "HTTP {} {} failed: {}",
          request.method(),
          sanitize(request.rawPath()),
          Redactor.redact(String.valueOf(e)),
          e);
      response = HttpResponse.error(500, "internal error; see the worker's log");
    }
    return render(response);
  }

  /** The bytes and headers of a response, its body passed through the secret redactor. */
  private static HttpConnections.Outgoing render(HttpResponse response) {
    byte[] body =
        response.redactedBytes() != null
            ? response.redactedBytes()
            : Redactor.redact(response.body()).getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", response.contentType());
    headers.put("Cache-Control", "no-store");
    headers.put("X-Content-Type-Options", "nosniff");
    return new HttpConnections.Outgoing(response.status(), headers, body);
  }

  private HttpResponse dispatch(HttpConnections.Incoming incoming) {
    String method = incoming.method();
    String path = incoming.rawPath();
    boolean pathKnown = false;
    for (Route route : routes) {
      Matcher matcher = route.pattern().matcher(path);
      if (!matcher.matches()) {
        continue;
      }
      pathKnown = true;
      if (!route.method().equals(method)
          && !(method.equals("HEAD") && route.method().equals("GET"))) {
        continue;
      }
      if (route.changesState()) {
        Optional<HttpResponse> refused = checkToken(incoming);
        if (refused.isPresent()) {
          return refused.get();
        }
      }
      Optional<String> body =
          incoming.body().map(bytes -> new String(bytes, StandardCharsets.UTF_8));
      if (body.isEmpty()) {
        return HttpResponse.error(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
      }
      Map<String, String> query;
      try {
        query = query(incoming.rawQuery());
      } catch (IllegalArgumentException e) {
        return HttpResponse.error(400, "malformed query string");
      }
      Map<String, String> parameters = new LinkedHashMap<>();
      for (int i = 0; i < route.names().size(); i++) {
        parameters.put(route.names().get(i), matcher.group(i + 1));
      }
      HttpRequest request =
          new HttpRequest(method, path, parameters, query, incoming.headers(), body.get());
      try {
        return route.handler().handle(request);
      } catch (IllegalArgumentException e) {
        return HttpResponse.error(400, e.getMessage());
      } catch (Exception e) {
        LOG.error("HTTP {} {} failed: {}", method, path, Redactor.redact(String.valueOf(e)), e);
        return HttpResponse.error(500, "internal error; see the worker's log");
      }
    }
    return pathKnown
        ? HttpResponse.error(405, "method " + method + " not allowed here")
        : HttpResponse.error(404, "no such endpoint: " + sanitize(path));
  }

  private Optional<HttpResponse> checkToken(HttpConnections.Incoming incoming) {
    Optional<Secret> token = config.token();
    if (token.isEmpty()) {
      // serve refuses to start like this; kept for safety should a route be added elsewhere
      return Optional.of(
          HttpResponse.error(403, "state-changing endpoints are disabled: no token configured"));
    }
    String header = incoming.header("Authorization").orElse(null);
    String presented =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : null;
    if (presented == null) {
      return Optional.of(
          HttpResponse.error(401, "missing bearer token (Authorization: Bearer <token>)"));
    }
    if (!token.get().matches(presented)) {
      return Optional.of(HttpResponse.error(403, "invalid token"));
    }
    return Optional.empty();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return query;
    }
    for (String pair : raw.split("&")) {
      int equals = pair.indexOf('=');
      String name =
          URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
      String value =
          equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
      query.putIfAbsent(name, value);
    }
    return query;
  }

  private static String sanitize(String path) {
    String printable = path.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() <= 100 ? printable : printable.substring(0, 100) + "...";
  }

  @Override
  public void close() {
    if (connections != null) {
      connections.close();
    }
  }
}
