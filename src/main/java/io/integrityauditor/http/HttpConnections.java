package io.integrityauditor.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 connections of the API: request parsing, keep-alive and response framing, with
 * bounded sizes and timeouts. Why not the JDK's {@code com.sun.net.httpserver}: it answers protocol
 * errors itself (a request target that is not a URI, a malformed header line, a request line too
 * long) with an HTML page, before any handler can run; here every answer, protocol errors included,
 * is the API's JSON error. Only what the API needs: {@code Content-Length} bodies (a chunked body
 * gets 411), no TLS (put a proxy in front), no pipelining beyond sequential requests.
 */
final class HttpConnections implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpConnections.class);

  /** Longest request line or header line. */
  static final int MAX_LINE_BYTES = 8 * 1024;

  /** Largest header section. */
  static final int MAX_HEADER_BYTES = 32 * 1024;

  /** A body up to this size is read and dropped before answering 413; a larger one closes. */
  private static final long MAX_DRAINED_BYTES = 1024 * 1024;

  /** Idle keep-alive connections and slow clients are closed after this long. */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  /** Connections served at once (each keep-alive connection holds a thread while it is open). */
  private static final int MAX_CONNECTIONS = 32;

  /** A well-formed request, its body bounded by {@code maxBodyBytes}. */
  record Incoming(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      Optional<byte[]> body) {
    Optional<String> header(String name) {
      return first(headers, name);
    }
  }

  /** A response ready to write: status, headers (besides the framing ones), body bytes. */
  record Outgoing(int status, Map<String, String> headers, byte[] body) {}

  private final ServerSocket server;
  private final ThreadPoolExecutor workers;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Function<Incoming, Outgoing> handler;
  private final Function<HttpResponse, Outgoing> errors;
  private final int maxBodyBytes;
  private final Thread acceptor;

  /**
   * @param handler answers a well-formed request
   * @param errors renders the API's error responses (the protocol errors found here)
   * @param maxBodyBytes larger bodies are not read: {@code body} is empty
   */
  HttpConnections(
      InetSocketAddress address,
      int maxBodyBytes,
      Function<Incoming, Outgoing> handler,
      Function<HttpResponse, Outgoing> errors)
      throws IOException {
    this.handler = handler;
    this.errors = errors;
    this.maxBodyBytes = maxBodyBytes;
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(address, 64);
    workers =
        new ThreadPoolExecutor(
            1,
            MAX_CONNECTIONS,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread thread = new Thread(r, "http");
              thread.setDaemon(true);
              return thread;
            });
    acceptor = new Thread(this::accept, "http-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!server.isClosed()) {
          LOG.warn("HTTP accept failed: {}", e.getMessage());
          pause(); // e.g. out of file descriptors: do not spin
        }
        continue;
      }
      open.add(socket);
      try {
        workers.execute(() -> serve(socket));
      } catch (RejectedExecutionException busy) {
        // every worker holds a connection: answer on this thread and close
        try (socket) {
          OutputStream out = socket.getOutputStream();
          write(out, errors.apply(HttpResponse.error(503, "too many connections")), false, false);
          out.flush();
        } catch (IOException ignored) {
          // the client is gone
        } finally {
          open.remove(socket);
        }
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      boolean keepAlive = true;
      while (keepAlive) {
        keepAlive = exchange(in, out);
        out.flush();
      }
    } catch (IOException closedOrTimedOut) {
      // the client closed, reset or went quiet: nothing to answer
    } finally {
      open.remove(socket);
    }
  }

  /** A protocol error: answered, then the connection is closed (its framing is not trusted). */
  private static final class Refusal extends Exception {
    private final int status;

    Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** Reads and answers one request; false when the connection must close. */
  private boolean exchange(InputStream in, OutputStream out) throws IOException {
    String requestLine;
    try {
      requestLine = readLine(in, 414, "request line too long");
      while (requestLine != null && requestLine.isEmpty()) {
        requestLine = readLine(in, 414, "request line too long"); // stray CRLF between requests
      }
    } catch (Refusal refusal) {
      refuse(out, refusal);
      return false;
    }
    if (requestLine == null) {
      return false; // closed between requests
    }
    try {
      Incoming request = parse(requestLine, in, out);
      boolean keepAlive = keepAlive(requestLine, request);
      write(out, handler.apply(request), keepAlive, request.method().equals("HEAD"));
      return keepAlive;
    } catch (Refusal refusal) {
      refuse(out, refusal);
      return false;
    }
  }

  private void refuse(OutputStream out, Refusal refusal) throws IOException {
    write(
        out, errors.apply(HttpResponse.error(refusal.status, refusal.getMessage())), false, false);
  }

  private Incoming parse(String requestLine, InputStream in, OutputStream out)
      throws IOException, Refusal {
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3
        || !parts[0].matches("[A-Z]{1,16}")
        || !parts[2].matches("HTTP/1\\.[01]")) {
      throw new Refusal(400, "malformed request line");
    }
    URI target;
    try {
      target = new URI(parts[1]);
    } catch (URISyntaxException e) {
      throw new Refusal(400, "malformed request target (not a URI)");
    }
    String rawPath = target.getRawPath();
    if (rawPath == null || !rawPath.startsWith("/")) {
      throw new Refusal(400, "the request target must be a path beginning with /");
    }
    Map<String, List<String>> headers = readHeaders(in);
    return new Incoming(
        parts[0], rawPath, target.getRawQuery(), headers, readBody(headers, in, out));
  }

  /** The body, or empty when it is larger than {@code maxBodyBytes} (then read and dropped). */
  private Optional<byte[]> readBody(
      Map<String, List<String>> headers, InputStream in, OutputStream out)
      throws IOException, Refusal {
    if (first(headers, "Transfer-Encoding").isPresent()) {
      throw new Refusal(411, "send the request body with Content-Length, not chunked");
    }
    Optional<String> length = first(headers, "Content-Length");
    if (length.isEmpty()) {
      return Optional.of(new byte[0]);
    }
    if (!length.get().matches("\\d{1,18}")
        || headers.get("Content-Length").stream().distinct().count() > 1) {
      throw new Refusal(400, "malformed Content-Length");
    }
    long bytes = Long.parseLong(length.get());
    if (bytes > maxBodyBytes && bytes > MAX_DRAINED_BYTES) {
      throw new Refusal(413, "request body larger than " + maxBodyBytes + " bytes");
    }
    if (first(headers, "Expect").map(v -> v.equalsIgnoreCase("100-continue")).orElse(false)) {
      out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    if (bytes > maxBodyBytes) {
      in.skipNBytes(bytes); // EOFException when the body ends early
      return Optional.empty();
    }
    byte[] body = in.readNBytes((int) bytes);
    if (body.length < bytes) {
      throw new IOException("body ended early");
    }
    return Optional.of(body);
  }

  private static Optional<String> first(Map<String, List<String>> headers, String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  private static Map<String, List<String>> readHeaders(InputStream in) throws IOException, Refusal {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int total = 0;
    while (true) {
      String line = readLine(in, 431, "header line too long");
      if (line == null) {
        throw new IOException("closed in the middle of the headers");
      }
      if (line.isEmpty()) {
        return headers;
      }
      total += line.length() + 2;
      if (total > MAX_HEADER_BYTES || headers.size() >= 100) {
        throw new Refusal(431, "request header section too large");
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !line.substring(0, colon).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        throw new Refusal(400, "malformed header line");
      }
      headers
          .computeIfAbsent(line.substring(0, colon), name -> new ArrayList<>(1))
          .add(line.substring(colon + 1).strip());
    }
  }

  /**
   * One line ending in CRLF (or a bare LF), as ISO-8859-1; null at end of stream before any byte.
   *
   * @param status the refusal's status when the line exceeds {@link #MAX_LINE_BYTES}
   * @param message the refusal's message
   */
  private static String readLine(InputStream in, int status, String message)
      throws IOException, Refusal {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (line.size() == 0) {
          return null;
        }
        throw new IOException("closed in the middle of a line");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int end =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
      }
      if (line.size() >= MAX_LINE_BYTES) {
        throw new Refusal(status, message);
      }
      line.write(b);
    }
  }

  private static boolean keepAlive(String requestLine, Incoming request) {
    String connection = request.header("Connection").orElse("").toLowerCase(Locale.ROOT);
    if (requestLine.endsWith("HTTP/1.0")) {
      return connection.contains("keep-alive");
    }
    return !connection.contains("close");
  }

  private static void write(OutputStream out, Outgoing response, boolean keepAlive, boolean head)
      throws IOException {
    StringBuilder header =
        new StringBuilder("HTTP/1.1 ")
            .append(response.status())
            .append(' ')
            .append(reason(response.status()))
            .append("\r\n");
    response
        .headers()
        .forEach((name, value) -> header.append(name).append(": ").append(value).append("\r\n"));
    header.append("Content-Length: ").append(response.body().length).append("\r\n");
    if (!keepAlive) {
      header.append("Connection: close\r\n");
    }
    header.append("\r\n");
    out.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!head) {
      out.write(response.body());
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 202 -> "Accepted";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 411 -> "Length Required";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket socket : open) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    workers.shutdownNow();
    try {
      workers.awaitTermination(2, TimeUnit.SECONDS);
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
