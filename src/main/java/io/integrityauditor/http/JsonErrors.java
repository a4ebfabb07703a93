package io.integrityauditor.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The errors Jetty answers itself (malformed request lines or headers, heads too large, bad {@code
 * Content-Length}, ambiguous paths...) in the API's JSON, never Jetty's HTML page: clients of the
 * API parse one error format, and no server detail leaks.
 */
final class JsonErrors extends ErrorHandler {
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus() >= 400 ? response.getStatus() : 500;
    Object reason = request.getAttribute(ERROR_MESSAGE);
    HttpApi.send(
        response,
        HttpResponse.error(status, message(status, reason == null ? null : reason.toString())),
        callback);
    return true;
  }

  /** Used by Jetty for a request that failed before it could be dispatched at all. */
  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, HttpResponse.JSON);
    return ByteBuffer.wrap(
        HttpResponse.error(status, message(status, reason))
            .body()
            .getBytes(StandardCharsets.UTF_8));
  }

  static String message(int status, String reason) {
    String detail =
        reason == null || reason.isBlank() || reason.equals(HttpStatus.getMessage(status))
            ? ""
            : ": " + HttpApi.sanitize(reason);
    return switch (status) {
      case 400 -> "malformed request" + detail;
      case 414 ->
          "request target too long (request line and headers: at most "
              + HttpApi.MAX_HEAD_BYTES
              + " bytes)";
      case 431 ->
          "request header section too large (request line and headers: at most "
              + HttpApi.MAX_HEAD_BYTES
              + " bytes)";
      default -> HttpStatus.getMessage(status).toLowerCase(Locale.ROOT) + detail;
    };
  }
}
