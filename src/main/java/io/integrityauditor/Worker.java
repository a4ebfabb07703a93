package io.integrityauditor;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.http.HttpApi;
import io.integrityauditor.http.HttpResponse;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.schedule.ScheduledAudits;
import java.io.IOException;
import java.sql.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code serve} node: the store migrated, audits loaded and scheduled on the Quartz
 * cluster, the HTTP listener up. {@link #close()} is the graceful stop.
 */
public final class Worker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

  private final Auditor auditor;
  private final ScheduledAudits audits;
  private final Optional<HttpApi> http;

  private Worker(Auditor auditor, ScheduledAudits audits, Optional<HttpApi> http) {
    this.auditor = auditor;
    this.audits = audits;
    this.http = http;
  }

  /** Checks what {@code serve} needs beyond a loadable configuration. */
  static void requireServable(WorkerConfig config) {
    List<ConfigProblem> problems = new ArrayList<>();
    Location file = Location.of(config.file(), 0);
    if (config.store().isEmpty()) {
      problems.add(
          new ConfigProblem(
              file,
              null,
              "store",
              "serve needs a store (the worker's own database for run history, alerts and the"
                  + " Quartz cluster): add a store: section"));
    }
    if (config.http().enabled() && !config.http().readOnly() && config.http().token().isEmpty()) {
      problems.add(
          new ConfigProblem(
              file,
              null,
              "http",
              "the HTTP API can trigger audits, reload and acknowledge alerts, so it needs a"
                  + " token: set http.token_env or http.token_file, or http.read_only: true to"
                  + " serve only metrics and reads"));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  public static Worker start(WorkerConfig config, Clock clock)
      throws SchedulerException, IOException {
    requireServable(config);
    Auditor auditor = Auditor.open(config, clock);
    ScheduledAudits audits;
    try {
      audits = ScheduledAudits.start(auditor);
    } catch (SchedulerException | RuntimeException e) {
      auditor.close();
      throw e;
    }
    Optional<HttpApi> http = Optional.empty();
    if (config.http().enabled()) {
      try {
        http = Optional.of(routes(new HttpApi(config.http()), auditor, audits).start());
      } catch (IOException | RuntimeException e) {
        audits.shutdown(java.time.Duration.ZERO);
        auditor.close();
        throw e;
      }
    }
    return new Worker(auditor, audits, http);
  }

  private static HttpApi routes(HttpApi api, Auditor auditor, ScheduledAudits audits) {
    return api.get("/health/live", request -> HttpResponse.ok(Map.of("status", "up")))
        .get(
            "/health/ready",
            request -> {
              boolean storeUp = storeReachable(auditor);
              boolean loaded = audits.lastReload().isPresent();
              Map<String, Object> status = new LinkedHashMap<>();
              status.put("status", storeUp && loaded ? "ready" : "not ready");
              status.put("store", storeUp ? "up" : "down");
              status.put("auditsLoaded", loaded);
              return HttpResponse.data(storeUp && loaded ? 200 : 503, status);
            })
        .get(
            "/api/audits",
            request -> {
              List<Map<String, Object>> list = new ArrayList<>();
              for (Audit audit : audits.activeAudits().values()) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("id", audit.id());
                item.put("target", audit.target());
                item.put("kind", audit.kind());
                item.put("severity", audit.severity().label());
                item.put("schedule", audits.scheduleOf(audit).toString());
                item.put(
                    "expectedIntervalSeconds",
                    audits.scheduleOf(audit).expectedInterval().toSeconds());
                audit.description().ifPresent(d -> item.put("description", d));
                list.add(item);
              }
              return HttpResponse.ok(list);
            })
        .post(
            "/api/audits/{id}/trigger",
            request -> {
              String id = request.pathParameter("id");
              if (!audits.trigger(id)) {
                return HttpResponse.error(404, "no scheduled audit with id " + id);
              }
              Map<String, Object> accepted = new LinkedHashMap<>();
              accepted.put("audit", id);
              accepted.put("triggered", true);
              return HttpResponse.data(202, accepted);
            })
        .post("/api/reload", request -> HttpResponse.ok(reportOf(audits.reload())));
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

  private static boolean storeReachable(Auditor auditor) {
    try (Connection connection = auditor.store().orElseThrow().dataSource().getConnection()) {
      return connection.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }

  public ReloadReport reload() {
    return audits.reload();
  }

  public ScheduledAudits audits() {
    return audits;
  }

  public Auditor auditor() {
    return auditor;
  }

  /** The HTTP port (useful when configured as 0). */
  public Optional<Integer> httpPort() {
    return http.map(HttpApi::port);
  }

  /** Graceful stop: no new runs, wait for running ones up to the grace period, then cancel. */
  @Override
  public void close() {
    LOG.info("stopping node {}", auditor.config().nodeId());
    http.ifPresent(HttpApi::close);
    audits.shutdown(auditor.config().scheduler().shutdownGrace());
    auditor.close();
    LOG.info("node {} stopped", auditor.config().nodeId());
  }
}
