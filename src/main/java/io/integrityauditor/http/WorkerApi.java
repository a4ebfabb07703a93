package io.integrityauditor.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.Json;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.store.Baselines;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The routes of a {@code serve} node. JSON payloads are wrapped as {@code {"data": ...}}. */
public final class WorkerApi {
  /** What Prometheus expects for the text format. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final NodeOperations node;

  public WorkerApi(NodeOperations node) {
    this.node = node;
  }

  /** The JSON API, metrics and health, and the on-call pages. */
  public HttpApi routes(HttpApi api) {
    new WorkerPages(node, api.config(), node.clock()).routes(api);
    return api.scrape(
            "/metrics",
            request -> HttpResponse.redactedBytes(200, PROMETHEUS_TEXT, node.scrapeMetrics()))
        .scrape("/health/live", request -> HttpResponse.ok(Map.of("status", "up")))
        .scrape("/health/ready", request -> ready())
        .get("/api/audits", request -> HttpResponse.ok(audits()))
        .get(
            "/api/audits/{id}/runs",
            request -> {
              int limit = limit(request, 20);
              return HttpResponse.ok(node.runHistory(request.pathParameter("id"), limit));
            })
        .get(
            "/api/alerts",
            request -> {
              String state = request.queryParameter("state").orElse("open");
              if (!state.equals("open") && !state.equals("all")) {
                throw new IllegalArgumentException("state must be open or all");
              }
              return HttpResponse.ok(node.alerts().list(state.equals("all"), limit(request, 100)));
            })
        .get(
            "/api/alerts/{id}",
            request ->
                node.alerts()
                    .find(alertId(request))
                    .map(HttpResponse::ok)
                    .orElse(HttpResponse.error(404, "no alert " + request.pathParameter("id"))))
        .post("/api/alerts/{id}/ack", this::acknowledge)
        .get("/api/baselines", request -> HttpResponse.ok(node.baselines().list()))
        .post("/api/baselines", request -> changeBaselines(request, false))
        .post("/api/baselines/clear", request -> changeBaselines(request, true))
        .post(
            "/api/audits/{id}/trigger",
            request -> {
              String id = request.pathParameter("id");
              if (!node.trigger(id)) {
                return HttpResponse.error(404, "no scheduled audit with id " + id);
              }
              Map<String, Object> accepted = new LinkedHashMap<>();
              accepted.put("audit", id);
              accepted.put("triggered", true);
              return HttpResponse.data(202, accepted);
            })
        .post("/api/reload", request -> HttpResponse.ok(reportOf(node.reload())));
  }

  private HttpResponse ready() {
    boolean storeUp = node.storeUpWithoutWaiting();
    boolean loaded = node.auditsLoaded();
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("status", storeUp && loaded ? "ready" : "not ready");
    status.put("store", storeUp ? "up" : "down");
    status.put("auditsLoaded", loaded);
    return HttpResponse.data(storeUp && loaded ? 200 : 503, status);
  }

  private List<Map<String, Object>> audits() {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Audit audit : node.activeAudits()) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("id", audit.id());
      item.put("target", audit.target());
      item.put("kind", audit.kind());
      item.put("severity", audit.severity().label());
      item.put("owner", audit.owner().orElse(null));
      item.put("schedule", node.scheduleOf(audit).toString());
      item.put("expectedIntervalSeconds", node.scheduleOf(audit).expectedInterval().toSeconds());
      audit.description().ifPresent(d -> item.put("description", d));
      list.add(item);
    }
    return list;
  }

  /** Body: {@code {"by": "alice", "note": "known, fix in JIRA-123"}}. */
  private HttpResponse acknowledge(HttpRequest request) {
    long id = alertId(request);
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(request.body().isBlank() ? "{}" : request.body());
    } catch (JsonProcessingException e) {
      return HttpResponse.error(400, "body must be JSON: {\"by\": \"name\", \"note\": \"text\"}");
    }
    String by = text(body, "by", 200);
    String note = text(body, "note", 2000);
    if (by == null || by.isBlank()) {
      return HttpResponse.error(400, "\"by\" is required: who acknowledges");
    }
    return switch (node.alerts().acknowledge(id, by, note == null ? "" : note)) {
      case ACKNOWLEDGED -> HttpResponse.ok(node.alerts().find(id).orElseThrow());
      case NOT_FOUND -> HttpResponse.error(404, "no alert " + id);
      case NOT_OPEN ->
          HttpResponse.error(
              409, "alert " + id + " is resolved; only open alerts can be acknowledged");
    };
  }

  /**
   * Body: {@code {"audits": ["orders.customer"], "by": "alice", "note": "backlog, JIRA-123"}};
   * without {@code audits}, every audit (accept: with a recorded run; clear: with a baseline). 200
   * when every audit changed, else 409 with each audit's outcome.
   */
  private HttpResponse changeBaselines(HttpRequest request, boolean clear) {
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(request.body().isBlank() ? "{}" : request.body());
    } catch (JsonProcessingException e) {
      return HttpResponse.error(
          400, "body must be JSON: {\"audits\": [\"id\"], \"by\": \"name\", \"note\": \"text\"}");
    }
    List<String> audits = new ArrayList<>();
    JsonNode list = body.get("audits");
    if (list != null && !list.isNull()) {
      if (!list.isArray()) {
        throw new IllegalArgumentException("\"audits\" must be a list of audit ids");
      }
      for (JsonNode id : list) {
        if (!id.isTextual()) {
          throw new IllegalArgumentException("\"audits\" must be a list of audit ids");
        }
        audits.add(id.asText());
      }
    }
    List<Baselines.Change> changes;
    if (clear) {
      changes = node.baselines().clear(audits);
    } else {
      String by = text(body, "by", 200);
      String note = text(body, "note", 2000);
      if (by == null || by.isBlank()) {
        return HttpResponse.error(400, "\"by\" is required: who accepts the backlog");
      }
      changes = node.baselines().accept(audits, by, note == null ? "" : note);
    }
    boolean refused = Baselines.Change.anyRefused(changes);
    // with every audit, those that cannot have a baseline (a kind without keys) are only reported
    return HttpResponse.data(refused && !audits.isEmpty() ? 409 : 200, changes);
  }

  private static String text(JsonNode body, String field, int maxLength) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a string");
    }
    if (value.asText().length() > maxLength) {
      throw new IllegalArgumentException(
          "\"" + field + "\" is longer than " + maxLength + " characters");
    }
    return value.asText();
  }

  /** The {@code {id}} of an alert route: a number, else IllegalArgumentException (400). */
  static long alertId(HttpRequest request) {
    String id = request.pathParameter("id");
    if (!id.matches("\\d{1,18}")) {
      throw new IllegalArgumentException("alert ids are numbers, found '" + id + "'");
    }
    return Long.parseLong(id);
  }

  private static int limit(HttpRequest request, int fallback) {
    String text = request.queryParameter("limit").orElse(String.valueOf(fallback));
    if (!text.matches("\\d{1,4}") || Integer.parseInt(text) == 0) {
      throw new IllegalArgumentException("limit must be a number between 1 and 9999");
    }
    return Integer.parseInt(text);
  }

  static Map<String, Object> reportOf(ReloadReport report) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("at", report.at().toString());
    data.put("clean", report.clean());
    data.put("active", report.active().size());
    data.put("added", report.added());
    data.put("updated", report.updated());
    data.put("removed", report.removed());
    data.put("kept", report.kept());
    data.put("problems", report.problems().stream().map(ConfigProblem::format).toList());
    return data;
  }
}
