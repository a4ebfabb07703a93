package io.integrityauditor.http;

import io.integrityauditor.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A response: status, content type, body. A body given as bytes ({@link #redactedBytes}) is sent as
 * it is: its producer has already passed it through the redactor (the metrics exposition, which is
 * rendered once per change rather than once per scrape).
 */
public record HttpResponse(int status, String contentType, String body, byte[] redactedBytes) {
  public HttpResponse(int status, String contentType, String body) {
    this(status, contentType, body, null);
  }

  /** A body already redacted and encoded (UTF-8). */
  public static HttpResponse redactedBytes(int status, String contentType, byte[] body) {
    return new HttpResponse(status, contentType, "", body);
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
}
