package io.integrityauditor.http;

import io.integrityauditor.config.HttpConfig;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.Secret;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Scanner;
import org.eclipse.jetty.util.UrlEncoded;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny router on an embedded Jetty 12 server (core API, no servlets). Every failure, protocol
 * errors included, is a JSON error with a 4xx/5xx status, never a stack trace ({@link JsonErrors});
 * request heads and bodies are bounded in size and in the time they take to arrive; path parameters
 * are validated by the route's pattern; state-changing routes check the bearer token in constant
 * time.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  /** Larger bodies are refused with 413: no endpoint needs more. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  /** Bodies up to this size are read (and dropped) before a 413, so the client sees the answer. */
  static final int DRAINED_BODY_BYTES = 1024 * 1024;

  /** Request line and headers together; beyond, 414 (in the request line) or 431. */
  static final int MAX_HEAD_BYTES = 8 * 1024;

  /** Path parameter values (audit ids, alert ids): what ids may contain, nothing else. */
  static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,99}";

  /** A request must arrive whole (head and body) within this long of its first byte. */
  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);

  /** An idle keep-alive connection, or a client that stops sending or reading, is closed. */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

  /** Open connections; cheap (no thread each), bounded so that sockets are not exhausted. */
  static final int MAX_CONNECTIONS = 512;

  /** Threads answering requests. */
  static final int MAX_THREADS = 24;

  /**
   * Requests of ordinary routes answered at once (each may wait for the store); the remaining
   * threads stay free for the scrape routes, so a slow store never shuts out {@code /metrics}.
   */
  static final int MAX_BUSY_ROUTES = 12;

  /** Handles one route. */
  @FunctionalInterface
  public interface Handler {
    HttpResponse handle(HttpRequest request) throws Exception;
  }

  private enum Kind {
    READ,
    SCRAPE,
    CHANGE
  }

  private record Route(
      String method, Pattern pattern, List<String> names, Kind kind, Handler handler) {}

  private final List<Route> routes = new ArrayList<>();
  private final HttpConfig config;
  private final Semaphore busy = new Semaphore(MAX_BUSY_ROUTES);
  private Server server;
  private ServerConnector connector;
  private RequestDeadline deadline;

  /** Watches the PEM files of {@code http.tls} for a renewal. */
  private Optional<Scanner> tlsRenewal = Optional.empty();

  /** False while the node behind the routes is still starting ({@link #listen()}). */
  private volatile boolean open = true;

  public HttpApi(HttpConfig config) {
    this.config = config;
  }

  /** A read-only route; {@code path} may contain {@code {name}} segments. */
  public HttpApi get(String path, Handler handler) {
    return route("GET", path, Kind.READ, handler);
  }

  /**
   * A read-only route that answers from memory (metrics, liveness, readiness): it is not counted
   * against {@link #MAX_BUSY_ROUTES}, so it keeps answering while other routes wait for the store.
   */
  public HttpApi scrape(String path, Handler handler) {
    return route("GET", path, Kind.SCRAPE, handler);
  }

  /**
   * A state-changing route: needs the bearer token, and does not exist at all when the API is
   * configured read-only.
   */
  public HttpApi post(String path, Handler handler) {
    if (config.readOnly()) {
      return this;
    }
    return route("POST", path, Kind.CHANGE, handler);
  }

  /**
   * A form post of the browser pages: the handler authenticates it itself (session cookie and CSRF
   * token, not a bearer token); absent when the API is read-only.
   */
  public HttpApi formPost(String path, Handler handler) {
    if (config.readOnly()) {
      return this;
    }
    return route("POST", path, Kind.READ, handler);
  }

  /** A form post that exists even on a read-only API (signing in to read the pages). */
  public HttpApi loginPost(String path, Handler handler) {
    return route("POST", path, Kind.READ, handler);
  }

  private HttpApi route(String method, String path, Kind kind, Handler handler) {
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
    routes.add(new Route(method, Pattern.compile(regex.toString()), names, kind, handler));
    return this;
  }

  HttpConfig config() {
    return config;
  }

  /**
   * Starts listening while the node is still starting: every request gets 503 with {@code
   * Retry-After} (readiness is not reached) until {@link #open()}, when the routes registered by
   * then answer. The server starts in parallel with the node's own start-up, and a port already in
   * use fails the start before any audit is scheduled.
   */
  public HttpApi listen() throws IOException {
    open = false;
    return start();
  }

  /** The routes answer from now on (after {@link #listen()}). */
  public void open() {
    open = true;
  }

  public HttpApi start() throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
    threads.setName("http");
    threads.setDaemon(true);
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(MAX_HEAD_BYTES);
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    if (config.tls().isPresent()) {
      // HTTPS only: a plain HTTP request on this port fails its TLS handshake
      SslContextFactory.Server tls = TlsListener.contextFactory(config.tls().get());
      http.addCustomizer(new SecureRequestCustomizer());
      connector =
          new ServerConnector(
              server,
              1,
              1,
              new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()),
              new HttpConnectionFactory(http));
      Scanner renewal = TlsListener.renewalScanner(config.tls().get(), tls);
      server.addBean(renewal);
      tlsRenewal = Optional.of(renewal);
    } else {
      connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    }
    connector.setHost(config.bind());
    connector.setPort(config.port());
    connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    connector.setAcceptQueueSize(64);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
    server.setErrorHandler(new JsonErrors());
    server.setHandler(new Dispatcher());
    server.setStopTimeout(2000);
    try {
      server.start();
    } catch (IOException e) {
      close();
      throw e;
    } catch (Exception e) {
      close();
      throw new IOException("cannot start the HTTP listener: " + e.getMessage(), e);
    }
    deadline = new RequestDeadline(connector, REQUEST_DEADLINE, Duration.ofMillis(500));
    LOG.info(
        "{} listening on {}:{}",
        config.tls().isPresent() ? "HTTPS" : "HTTP",
        config.bind(),
        port());
    return this;
  }

  /** Checks the PEM files for a renewal now, instead of at the next scan (tests). */
  void checkTlsRenewal() {
    tlsRenewal.ifPresent(Scanner::nudge);
  }

  public int port() {
    return connector.getLocalPort();
  }

  /** Routes the requests; blocking (routes read the store), so Jetty runs it on a pool thread. */
  private final class Dispatcher extends org.eclipse.jetty.server.Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
      deadline.handling(endPoint);
      Request.addCompletionListener(
          request,
          failure ->
              deadline.answered(
                  endPoint, request.getConnectionMetaData().getConnection().getBytesIn()));
      Optional<Long> length = contentLength(request);
      if (length.isEmpty() || length.get() == 0 || length.get() > DRAINED_BODY_BYTES) {
        answer(request, response, callback, new byte[0]);
        return true;
      }
      // The body arrives asynchronously: no thread waits for a slow client, and the whole request
      // still has to arrive within the deadline counted from its first byte. A body over the limit
      // (up to DRAINED_BODY_BYTES) is read too before the 413: answering and closing while the
      // client still sends makes its TCP stack reset the connection, and the client sees no answer.
      long elapsed = System.nanoTime() - request.getBeginNanoTime();
      long remaining = Math.max(0, REQUEST_DEADLINE.toNanos() - elapsed);
      CompletableFuture<byte[]> body =
          Content.Source.asByteArrayAsync(request, length.get().intValue())
              .orTimeout(remaining, TimeUnit.NANOSECONDS);
      body.whenCompleteAsync(
          (bytes, failure) -> {
            if (failure == null) {
              answer(request, response, callback, bytes);
            } else {
              send(
                  response,
                  HttpResponse.error(
                          408,
                          "the request did not arrive within "
                              + REQUEST_DEADLINE.toSeconds()
                              + " s; send it whole, without pauses")
                      .withHeader("Connection", "close"),
                  callback);
            }
          },
          server.getThreadPool());
      return true;
    }
  }

  private void answer(Request request, Response response, Callback callback, byte[] body) {
    HttpResponse answer;
    try {
      answer = dispatch(request, body);
    } catch (RuntimeException e) {
      LOG.error(
          "HTTP {} {} failed: {}",
          request.getMethod(),
          sanitize(request.getHttpURI().getPath()),
          Redactor.redact(String.valueOf(e)),
          e);
      answer = HttpResponse.error(500, "internal error; see the worker's log");
    }
    send(response, answer, callback);
  }

  /** Writes a response, its body passed through the secret redactor. */
  static void send(Response response, HttpResponse answer, Callback callback) {
    byte[] body =
        answer.redactedBytes() != null
            ? answer.redactedBytes()
            : Redactor.redact(answer.body()).getBytes(StandardCharsets.UTF_8);
    response.setStatus(answer.status());
    HttpFields.Mutable headers = response.getHeaders();
    headers.put(HttpHeader.CONTENT_TYPE, answer.contentType());
    headers.put(HttpHeader.CACHE_CONTROL, "no-store");
    headers.put("X-Content-Type-Options", "nosniff");
    for (HttpResponse.Header header : answer.headers()) {
      headers.add(header.name(), header.value());
    }
    headers.put(HttpHeader.CONTENT_LENGTH, String.valueOf(body.length));
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  private static Optional<Long> contentLength(Request request) {
    String value = request.getHeaders().get(HttpHeader.CONTENT_LENGTH);
    return value == null ? Optional.empty() : Optional.of(Long.parseLong(value.trim()));
  }

  private HttpResponse dispatch(Request incoming, byte[] bodyBytes) {
    if (!open) {
      return HttpResponse.error(503, "the node is starting: loading and scheduling the audits")
          .withHeader("Retry-After", "1");
    }
    String method = incoming.getMethod();
    String path = incoming.getHttpURI().getPath();
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
      Map<String, List<String>> headers = headers(incoming.getHeaders());
      if (route.kind() == Kind.CHANGE) {
        Optional<HttpResponse> refused = checkToken(headers);
        if (refused.isPresent()) {
          return refused.get();
        }
      }
      if (headers.containsKey("Transfer-Encoding")) {
        return HttpResponse.error(411, "send the request body with Content-Length, not chunked")
            .withHeader("Connection", "close");
      }
      if (contentLength(incoming).orElse(0L) > MAX_BODY_BYTES) {
        return HttpResponse.error(413, "request body larger than " + MAX_BODY_BYTES + " bytes")
            .withHeader("Connection", "close");
      }
      Map<String, String> query;
      try {
        query = form(incoming.getHttpURI().getQuery());
      } catch (IllegalArgumentException e) {
        return HttpResponse.error(400, "malformed request target: malformed query string");
      }
      Map<String, String> parameters = new LinkedHashMap<>();
      for (int i = 0; i < route.names().size(); i++) {
        parameters.put(route.names().get(i), matcher.group(i + 1));
      }
      Map<String, String> cookies = new LinkedHashMap<>();
      for (HttpCookie cookie : Request.getCookies(incoming)) {
        cookies.putIfAbsent(cookie.getName(), cookie.getValue());
      }
      HttpRequest request =
          new HttpRequest(
              method,
              path,
              parameters,
              query,
              headers,
              cookies,
              new String(bodyBytes, StandardCharsets.UTF_8));
      if (route.kind() != Kind.SCRAPE && !busy.tryAcquire()) {
        return HttpResponse.error(503, "too many requests in progress; retry in a few seconds")
            .withHeader("Retry-After", "5");
      }
      try {
        return route.handler().handle(request);
      } catch (IllegalArgumentException e) {
        return HttpResponse.error(400, e.getMessage());
      } catch (Exception e) {
        LOG.error("HTTP {} {} failed: {}", method, path, Redactor.redact(String.valueOf(e)), e);
        return HttpResponse.error(500, "internal error; see the worker's log");
      } finally {
        if (route.kind() != Kind.SCRAPE) {
          busy.release();
        }
      }
    }
    return pathKnown
        ? HttpResponse.error(405, "method " + method + " not allowed here")
        : HttpResponse.error(404, "no such endpoint: " + sanitize(path));
  }

  private static Map<String, List<String>> headers(HttpFields fields) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (HttpField field : fields) {
      headers.computeIfAbsent(field.getName(), name -> new ArrayList<>(1)).add(field.getValue());
    }
    return headers;
  }

  private Optional<HttpResponse> checkToken(Map<String, List<String>> headers) {
    Optional<Secret> token = config.token();
    if (token.isEmpty()) {
      // serve refuses to start like this; kept for safety should a route be added elsewhere
      return Optional.of(
          HttpResponse.error(403, "state-changing endpoints are disabled: no token configured"));
    }
    List<String> values = headers.get("Authorization");
    String header = values == null ? null : values.get(0);
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

  /**
   * Decodes {@code application/x-www-form-urlencoded} text (a query string or a form body): the
   * first value of each name. IllegalArgumentException when malformed.
   */
  static Map<String, String> form(String raw) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (raw != null && !raw.isEmpty()) {
      UrlEncoded.decodeTo(raw, fields::putIfAbsent, StandardCharsets.UTF_8);
    }
    return fields;
  }

  static String sanitize(String text) {
    String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() <= 100 ? printable : printable.substring(0, 100) + "...";
  }

  @Override
  public void close() {
    if (deadline != null) {
      deadline.close();
    }
    if (server != null) {
      try {
        server.stop();
      } catch (Exception e) {
        LOG.warn("HTTP listener did not stop cleanly: {}", e.toString());
      }
    }
  }
}
