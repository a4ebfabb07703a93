package io.integrityauditor.http;

import io.integrityauditor.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/** A response: status, content type, body. */
public record HttpResponse(int status, String contentType, String body) {
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
