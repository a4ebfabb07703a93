package io.integrityauditor.http;

import io.integrityauditor.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A response: status, content type, body, extra headers. A body given as bytes ({@link
 * #redactedBytes}) is sent as it is: its producer has already passed it through the redactor (the
 * metrics exposition, which is rendered once per change rather than once per scrape).
 *
 * @param headers extra headers (name, value), e.g. {@code Location} or {@code Set-Cookie}
 */
public record HttpResponse(
    int status, String contentType, String body, byte[] redactedBytes, List<Header> headers) {
  public HttpResponse {
    headers = List.copyOf(headers);
  }

  public HttpResponse(int status, String contentType, String body) {
    this(status, contentType, body, null, List.of());
  }

  /** One response header. */
  public record Header(String name, String value) {}

  /** The same response with one more header. */
  public HttpResponse withHeader(String name, String value) {
    List<Header> more = new ArrayList<>(headers);
    more.add(new Header(name, value));
    return new HttpResponse(status, contentType, body, redactedBytes, more);
  }

  /** A body already redacted and encoded (UTF-8). */
  public static HttpResponse redactedBytes(int status, String contentType, byte[] body) {
    return new HttpResponse(status, contentType, "", body, List.of());
  }

  static final String JSON = "application/json; charset=utf-8";

  /** {@code {"data": payload}} */
  public static HttpResponse data(int status, Object payload) {
    Map<String, Object> envelope = new LinkedHashMap<>();
    envelope.put("data", payload);
    return new HttpResponse(status, JSON, Json.write(envelope));
  }

  public static HttpResponse ok(Object payload) {
    return data(200, payload);
  }

  /** {@code {"error": {"status": 404, "message": "..."}}} */
  public static HttpResponse error(int status, String message) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("status", status);
    error.put("message", message);
    return new HttpResponse(status, JSON, Json.write(Map.of("error", error)));
  }

  public static HttpResponse text(int status, String contentType, String body) {
    return new HttpResponse(status, contentType, body);
  }

  /** 303 See Other: after a form post, the browser loads {@code location} with a GET. */
  public static HttpResponse seeOther(String location) {
    return new HttpResponse(303, "text/plain; charset=utf-8", "").withHeader("Location", location);
  }
}
