package io.integrityauditor.http;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.HttpConfig;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.AlertView;
import io.integrityauditor.store.Baselines;
import io.integrityauditor.store.KeySets;
import io.integrityauditor.store.LatestResult;
import io.integrityauditor.store.RunView;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.owasp.encoder.Encode;

/**
 * The on-call pages, rendered on the server: {@code /} (what is broken now), {@code /alerts/{id}}
 * (what broke, which keys, since when; acknowledge) and {@code /audits/{id}} (definition, schedule,
 * run history). No JavaScript at all, no external resource: they work offline and under a strict
 * Content-Security-Policy. When the API has a token the pages need a signed-in browser ({@link
 * BrowserSessions}).
 */
public final class WorkerPages {
  static final String HTML = "text/html; charset=utf-8";

  private static final String CSS =
      """
      :root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
      body{margin:0;color:#1a1a1a;background:#fff;line-height:1.45}
      a{color:#0b57d0}a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #b45309;outline-offset:2px}
      .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px}
      header{background:#1f2937;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:12px;align-items:center}
      header a{color:#fff;font-weight:600;text-decoration:none}header form{margin-left:auto}
      main{padding:12px 16px;max-width:1100px}
      h1{font-size:1.4rem;margin:.4rem 0 .8rem;overflow-wrap:anywhere}h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
      .scroll{overflow-x:auto;max-width:100%}
      table{border-collapse:collapse;min-width:100%;font-size:.95rem}
      th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #d1d5db;vertical-align:top;overflow-wrap:break-word}
      th{white-space:nowrap}
      th{background:#f3f4f6}caption{text-align:left;font-weight:600;padding:4px 0}
      .num{text-align:right;font-variant-numeric:tabular-nums}
      .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85rem;border:1px solid;white-space:nowrap}
      .critical,.error,.timeout,.interrupted,.failing{color:#7f1d1d;background:#fee2e2;border-color:#7f1d1d}
      .warn,.violations,.stale,.skipped{color:#713f12;background:#fef3c7;border-color:#713f12}
      .ok,.resolved{color:#14532d;background:#dcfce7;border-color:#14532d}
      .open{color:#1e3a8a;background:#dbeafe;border-color:#1e3a8a}
      dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
      pre{background:#f3f4f6;padding:10px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
      form.stack{display:grid;gap:8px;max-width:520px}label{font-weight:600}
      input,textarea,button{font:inherit;padding:8px;border:1px solid #6b7280;border-radius:4px;min-height:44px;box-sizing:border-box}
      button{background:#0b57d0;color:#fff;border-color:#0b57d0;cursor:pointer}header button{background:#374151;border-color:#9ca3af}
      .notice{padding:8px 12px;border-left:4px solid #14532d;background:#dcfce7}.problem{padding:8px 12px;border-left:4px solid #7f1d1d;background:#fee2e2}
      svg{width:100%;max-width:700px;height:auto}svg text{font-size:12px;fill:#1a1a1a}
      @media (max-width:600px){dl{grid-template-columns:1fr}th,td{padding:6px 4px}}
      """;

  private static final String CSP =
      "default-src 'none'; style-src "
          + Html.cspHash(CSS)
          + "; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private final NodeOperations node;
  private final HttpConfig config;
  private final Clock clock;
  private final BrowserSessions sessions;

  public WorkerPages(NodeOperations node, HttpConfig config, Clock clock) {
    this.node = node;
    this.config = config;
    this.clock = clock;
    this.sessions =
        new BrowserSessions(
            clock,
            // Secure when the browser comes over https: to this listener, or through a proxy
            config.tls().isPresent()
                || config
                    .links()
                    .externalUrl()
                    .map(u -> u.getScheme().equals("https"))
                    .orElse(false));
  }

  public HttpApi routes(HttpApi api) {
    return api.get("/", request -> guarded(request, this::overview))
        .get("/search", request -> guarded(request, this::search))
        .get("/alerts/{id}", request -> guarded(request, this::alert))
        .get("/alerts/audit/{id}", request -> guarded(request, this::alertOfAudit))
        .get("/audits/{id}", request -> guarded(request, this::audit))
        .get("/login", this::loginForm)
        .loginPost("/login", this::login)
        .loginPost("/logout", this::logout)
        .formPost("/alerts/{id}/ack", this::acknowledge);
  }

  private interface Page {
    HttpResponse render(HttpRequest request, Optional<BrowserSessions.Session> session)
        throws Exception;
  }

  /** Without a token the pages are as open as the read API; with one, a session is required. */
  private HttpResponse guarded(HttpRequest request, Page page) throws Exception {
    if (config.token().isEmpty()) {
      return render(page, request, Optional.empty());
    }
    Optional<BrowserSessions.Session> session = sessions.find(request);
    if (session.isEmpty()) {
      String next = request.path() + request.queryParameter("q").map(q -> "?q=" + q).orElse("");
      return HttpResponse.seeOther("/login?next=" + Encode.forUriComponent(next));
    }
    return render(page, request, session);
  }

  /** A page, or a readable explanation when the store cannot be read (not a JSON error). */
  private HttpResponse render(
      Page page, HttpRequest request, Optional<BrowserSessions.Session> session) throws Exception {
    try {
      return page.render(request, session);
    } catch (RuntimeException e) {
      if (node.storeReachable()) {
        throw e; // a bug: logged by the router, answered 500
      }
      return withStatus(
          page(
              "Store unreachable",
              new Html()
                  .tag(
                      "<h1>The store cannot be read</h1><p class=\"problem\" role=\"alert\">This"
                          + " worker cannot reach its store database, where runs and alerts are"
                          + " recorded, so this page cannot be shown. Audits are not being"
                          + " recorded either: see the runbook section"
                          + " IntegrityAuditStoreDown and <a href=\"/health/ready\">/health/ready"
                          + "</a>.</p>"),
              session),
          503);
    }
  }

  private boolean canAcknowledge(Optional<BrowserSessions.Session> session) {
    return !config.readOnly() && session.isPresent();
  }

  // ---------------------------------------------------------------- pages

  private HttpResponse overview(HttpRequest request, Optional<BrowserSessions.Session> session) {
    Instant now = clock.instant();
    List<AlertView> open = new ArrayList<>(node.alerts().list(false, 500));
    open.sort(
        Comparator.comparing((AlertView a) -> severityRank(a.severity()))
            .thenComparing(AlertView::target)
            .thenComparing(AlertView::auditId));
    Html body = new Html();
    body.tag("<h1>What is broken now</h1>");
    searchForm(body, "");
    body.tag("<h2 id=\"open-alerts\">Open alerts (").text(open.size()).tag(")</h2>");
    if (open.isEmpty()) {
      body.tag(
          "<p class=\"notice\">No open alert: every audit's latest completed run is within"
              + " its threshold.</p>");
    } else {
      body.tag(
          "<div class=\"scroll\"><table><caption>Open alerts by severity and target</caption>"
              + "<thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Audit</th>"
              + "<th scope=\"col\">Target</th><th scope=\"col\" class=\"num\">Violating rows</th>"
              + "<th scope=\"col\">Open since</th><th scope=\"col\">Acknowledged</th></tr></thead><tbody>");
      for (AlertView alert : open) {
        body.tag("<tr><td>");
        badge(body, alert.severity());
        body.tag("</td><td>")
            .link(Html.path("alerts", String.valueOf(alert.id())), alert.auditId())
            .tag("</td><td>")
            .text(alert.target())
            .tag("</td><td class=\"num\">")
            .text(count(alert.currentViolations()))
            .tag(alert.rowsChecked() == null ? "" : " of ")
            .text(alert.rowsChecked() == null ? "" : count(alert.rowsChecked()))
            .tag("</td><td>");
        time(body, alert.openedAt(), now);
        body.tag("</td><td>");
        if (alert.acknowledgedBy() == null) {
          body.tag("<span class=\"badge open\">not acknowledged</span>");
        } else {
          body.text(alert.acknowledgedBy()).tag(", ");
          time(body, alert.acknowledgedAt(), now);
          if (alert.open()
              && alert.acknowledgementCovers() != null
              && alert.acknowledgementCovers().somethingSince()) {
            body.tag(" <span class=\"badge open\">rows broke since</span>");
          }
        }
        body.tag("</td></tr>");
      }
      body.tag("</tbody></table></div>");
    }

    Map<String, LatestResult> latest = node.latestResults();
    List<Audit> troubled = new ArrayList<>();
    for (Audit audit : node.activeAudits()) {
      if (health(audit, latest.get(audit.id()), now) != Health.OK) {
        troubled.add(audit);
      }
    }
    troubled.sort(Comparator.comparing(Audit::target).thenComparing(Audit::id));
    body.tag("<h2 id=\"failing\">Audits failing or stale (").text(troubled.size()).tag(")</h2>");
    if (troubled.isEmpty()) {
      body.tag("<p class=\"notice\">Every one of the ")
          .text(node.activeAudits().size())
          .tag(" audits completed a run recently.</p>");
    } else {
      body.tag(
          "<div class=\"scroll\"><table><caption>Audits whose latest run failed, or with no"
              + " completed run for more than twice their interval</caption><thead><tr>"
              + "<th scope=\"col\">Audit</th><th scope=\"col\">Target</th><th scope=\"col\">State</th>"
              + "<th scope=\"col\">Latest run</th><th scope=\"col\">Last completed run</th>"
              + "<th scope=\"col\" class=\"num\">Failures in a row</th></tr></thead><tbody>");
      for (Audit audit : troubled) {
        LatestResult result = latest.get(audit.id());
        body.tag("<tr><td>")
            .link(Html.path("audits", audit.id()), audit.id())
            .tag("</td><td>")
            .text(audit.target())
            .tag("</td><td>");
        badge(body, health(audit, result, now).label());
        body.tag("</td><td>");
        if (result == null) {
          body.tag("never ran");
        } else {
          badge(body, result.status().label());
          body.tag(" ");
          time(body, result.finishedAt(), now);
        }
        body.tag("</td><td>");
        if (result == null || result.lastSuccessAt() == null) {
          body.tag("never");
        } else {
          time(body, result.lastSuccessAt(), now);
        }
        body.tag("</td><td class=\"num\">")
            .text(result == null ? 0 : result.consecutiveFailures())
            .tag("</td></tr>");
      }
      body.tag("</tbody></table></div>");
    }
    return page("On-call overview", body, session);
  }

  /** How an audit is doing, as the pages show it (its label is the badge). */
  private enum Health {
    OK,
    /** The latest run did not complete. */
    FAILING,
    /** No completed run for more than twice the audit's interval. */
    STALE;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private Health health(Audit audit, LatestResult result, Instant now) {
    if (result != null && !result.status().completed()) {
      return Health.FAILING;
    }
    Duration allowed = node.scheduleOf(audit).expectedInterval().multipliedBy(2);
    if (result == null || result.lastSuccessAt() == null) {
      return neverRanState(audit, allowed, now);
    }
    return result.lastSuccessAt().plus(allowed).isBefore(now) ? Health.STALE : Health.OK;
  }

  /** An audit that never ran is stale once its schedule should have run it twice. */
  private Health neverRanState(Audit audit, Duration allowed, Instant now) {
    try {
      return node.nextFireTime(audit.id()).map(next -> next.isAfter(now.plus(allowed))).orElse(true)
          ? Health.STALE
          : Health.OK;
    } catch (Exception e) {
      return Health.STALE;
    }
  }

  private HttpResponse search(HttpRequest request, Optional<BrowserSessions.Session> session) {
    String query = request.queryParameter("q").orElse("").strip();
    List<Audit> matches = new ArrayList<>();
    for (Audit audit : node.activeAudits()) {
      if (audit.id().equals(query)) {
        return HttpResponse.seeOther(Html.path("audits", audit.id()));
      }
      if (!query.isEmpty()
          && audit.id().toLowerCase(Locale.ROOT).contains(query.toLowerCase(Locale.ROOT))) {
        matches.add(audit);
      }
    }
    matches.sort(Comparator.comparing(Audit::id));
    Html body = new Html().tag("<h1>Audits matching “").text(query).tag("”</h1>");
    searchForm(body, query);
    if (matches.isEmpty()) {
      body.tag("<p class=\"problem\" role=\"status\">No active audit id contains “")
          .text(query)
          .tag("”.</p>");
    } else {
      body.tag("<ul>");
      for (Audit audit : matches.subList(0, Math.min(200, matches.size()))) {
        body.tag("<li>")
            .link(Html.path("audits", audit.id()), audit.id())
            .tag(" (")
            .text(audit.target())
            .tag(")</li>");
      }
      body.tag("</ul>");
    }
    return page("Search", body, session);
  }

  private HttpResponse alertOfAudit(
      HttpRequest request, Optional<BrowserSessions.Session> session) {
    String auditId = request.pathParameter("id");
    return node.alerts().list(true, 1000).stream()
        .filter(alert -> alert.auditId().equals(auditId))
        .findFirst() // open first, then newest
        .map(alert -> HttpResponse.seeOther(Html.path("alerts", String.valueOf(alert.id()))))
        .orElse(HttpResponse.seeOther(Html.path("audits", auditId)));
  }

  private HttpResponse alert(HttpRequest request, Optional<BrowserSessions.Session> session) {
    return alertPage(request, session, Optional.empty(), 200);
  }

  private HttpResponse alertPage(
      HttpRequest request,
      Optional<BrowserSessions.Session> session,
      Optional<String> problem,
      int status) {
    long id = WorkerApi.alertId(request);
    Optional<AlertView> found = node.alerts().find(id);
    if (found.isEmpty()) {
      return notFound(
          "No alert " + id + " (resolved alerts are pruned after the retention period).", session);
    }
    AlertView alert = found.get();
    Instant now = clock.instant();
    Optional<Audit> audit = activeAudit(alert.auditId());
    Html body = new Html();
    body.tag("<h1>Alert ").text(alert.id()).tag(": ").text(alert.auditId()).tag("</h1>");
    if (request.queryParameter("acknowledged").isPresent() && alert.acknowledgedBy() != null) {
      body.tag("<p class=\"notice\" role=\"status\">Acknowledged by ")
          .text(alert.acknowledgedBy())
          .tag(".</p>");
    }
    problem.ifPresent(p -> body.tag("<p class=\"problem\" role=\"alert\">").text(p).tag("</p>"));
    body.tag("<p>");
    badge(body, alert.state());
    body.tag(" ");
    badge(body, alert.severity());
    body.tag(" ")
        .text(count(alert.currentViolations()))
        .tag(alert.currentViolations() == 1 ? " violating row" : " violating rows")
        .tag(alert.rowsChecked() == null ? "" : " of ")
        .text(alert.rowsChecked() == null ? "" : count(alert.rowsChecked()))
        .tag(alert.rowsChecked() == null ? "" : " checked")
        .tag(" in target <strong>")
        .text(alert.target())
        .tag("</strong>.</p>");
    audit.flatMap(Audit::description).ifPresent(d -> body.tag("<p>").text(d).tag("</p>"));
    body.tag("<dl>");
    definition(body, "Audit", null)
        .link(Html.path("audits", alert.auditId()), alert.auditId())
        .tag("</dd>");
    audit.ifPresent(a -> definition(body, "Kind", a.kind()));
    definition(body, "Open since", null);
    time(body, alert.openedAt(), now).tag("</dd>");
    definition(body, "Last seen", null);
    time(body, alert.lastSeenAt(), now).tag("</dd>");
    if (alert.resolvedAt() != null) {
      definition(body, "Resolved", null);
      time(body, alert.resolvedAt(), now).tag("</dd>");
    }
    definition(body, "Most violating rows", count(alert.maxViolations()));
    definition(body, "Acknowledged", null);
    if (alert.acknowledgedBy() == null) {
      body.tag("no");
    } else {
      body.text(alert.acknowledgedBy()).tag(", ");
      time(body, alert.acknowledgedAt(), now);
      if (alert.acknowledgementNote() != null && !alert.acknowledgementNote().isBlank()) {
        body.tag(": “").text(alert.acknowledgementNote()).tag("”");
      }
      // what the acknowledgement covers, as `alerts` says it: rows broken after it are not
      alert.acknowledgementCoverage().ifPresent(line -> body.tag("<br>").text(line));
    }
    body.tag("</dd></dl>");
    links(body, alert);

    if (alert.open() && canAcknowledge(session)) {
      body.tag(
              "<h2 id=\"acknowledge\">Acknowledge</h2><form class=\"stack\" method=\"post\" action=\"")
          .attr(Html.path("alerts", String.valueOf(alert.id()), "ack"))
          .tag("\"><input type=\"hidden\" name=\"csrf\" value=\"")
          .attr(session.orElseThrow().csrf())
          .tag(
              "\"><label for=\"ack-by\">Your name</label>"
                  + "<input id=\"ack-by\" name=\"by\" required maxlength=\"200\" autocomplete=\"name\">"
                  + "<label for=\"ack-note\">Note (what you are doing about it)</label>"
                  + "<textarea id=\"ack-note\" name=\"note\" rows=\"3\" maxlength=\"2000\"></textarea>"
                  + "<button type=\"submit\">Acknowledge alert</button></form>");
    }

    List<RunView> runs = node.runHistory(alert.auditId(), 60);
    findings(body, alert.auditId(), runs, now);

    body.tag(
        "<h2 id=\"keys\">Sample keys</h2><p>Up to the audit's sample size per run; new keys"
            + " appeared in the latest run, persisting ones were seen before, gone ones are no longer"
            + " found (fixed, or no longer sampled).</p>");
    // the first run of an alert makes every sample key new to the alert, whatever the data's
    // new/persisting split (with a baseline most rows are old): say so instead of "new"
    keys(
        body,
        Objects.equals(alert.openedRunId(), alert.lastRunId())
            ? "In the run that opened this alert"
            : "New in the latest run",
        alert.newKeys());
    keys(body, "Persisting", alert.persistingKeys());
    // the sample is chosen by fingerprint, not by baseline: with a large backlog it is mostly
    // backlog rows, so say which shown keys are the rows outside the baseline, and where the others
    // are
    if (alert.baselineOfShownKeysKnown()) {
      keys(body, "Outside the baseline, of the keys above", alert.shownOutsideBaseline());
      alert.outsideBaselineNotShown().ifPresent(hint -> body.tag("<p>").text(hint).tag("</p>"));
    }
    keys(body, "Gone", alert.goneKeys());

    body.tag("<h2 id=\"history\">Violating rows over time</h2>");
    chart(body, runs);
    sql(body, alert.auditId());
    return withStatus(page("Alert " + alert.id() + ": " + alert.auditId(), body, session), status);
  }

  private HttpResponse audit(HttpRequest request, Optional<BrowserSessions.Session> session)
      throws Exception {
    String id = request.pathParameter("id");
    Optional<Audit> found = activeAudit(id);
    if (found.isEmpty()) {
      return notFound("No active audit with id " + id + ".", session);
    }
    Audit audit = found.get();
    Instant now = clock.instant();
    LatestResult latest = node.latestResults().get(id);
    Html body = new Html();
    body.tag("<h1>Audit ").text(id).tag("</h1>");
    audit.description().ifPresent(d -> body.tag("<p>").text(d).tag("</p>"));
    body.tag("<dl>");
    definition(body, "Kind", audit.kind());
    definition(body, "Target", audit.target());
    definition(body, "Severity", null);
    badge(body, audit.severity().label()).tag("</dd>");
    definition(body, "Schedule", node.scheduleOf(audit).toString());
    definition(body, "Next run", null);
    Optional<Instant> next = node.nextFireTime(id);
    if (next.isPresent()) {
      time(body, next.get(), now);
    } else {
      body.tag("not scheduled");
    }
    body.tag("</dd>");
    definition(body, "Timeout", audit.timeout().toString().substring(2).toLowerCase(Locale.ROOT));
    definition(body, "State", null);
    badge(body, health(audit, latest, now).label()).tag("</dd>");
    definition(body, "Defined in", audit.location().toString());
    body.tag("</dl>");
    node.alerts().list(false, 1000).stream()
        .filter(alert -> alert.auditId().equals(id))
        .findFirst()
        .ifPresent(
            alert ->
                body.tag("<p><strong>Open alert: </strong>")
                    .link(Html.path("alerts", String.valueOf(alert.id())), "alert " + alert.id())
                    .tag(" (")
                    .text(count(alert.currentViolations()))
                    .tag(
                        alert.currentViolations() == 1
                            ? " violating row)</p>"
                            : " violating rows)</p>"));

    List<RunView> runs = node.runHistory(id, 50);
    findings(body, id, runs, now);
    body.tag("<h2 id=\"history\">Violating rows over time</h2>");
    chart(body, runs);
    body.tag("<h2 id=\"runs\">Run history</h2>");
    if (runs.isEmpty()) {
      body.tag("<p>No run recorded yet.</p>");
    } else {
      body.tag("<div class=\"scroll\"><table><caption>The latest ")
          .text(runs.size())
          .tag(
              " runs,"
                  + " newest first</caption><thead><tr><th scope=\"col\">Started</th>"
                  + "<th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Violating rows</th>"
                  + "<th scope=\"col\" class=\"num\">Rows checked</th><th scope=\"col\" class=\"num\">Duration</th>"
                  + "<th scope=\"col\">Trigger</th><th scope=\"col\">Node</th><th scope=\"col\">Error</th>"
                  + "</tr></thead><tbody>");
      for (RunView run : runs) {
        body.tag("<tr><td>");
        time(body, run.startedAt(), now);
        body.tag("</td><td>");
        badge(body, run.status());
        body.tag("</td><td class=\"num\">")
            .text(run.violations() == null ? "" : count(run.violations()))
            .tag("</td><td class=\"num\">")
            .text(run.rowsChecked() == null ? "" : count(run.rowsChecked()))
            .tag("</td><td class=\"num\">")
            .text(run.durationMs() == null ? "" : run.durationMs() + " ms")
            .tag("</td><td>")
            .text(run.trigger())
            .tag("</td><td>")
            .text(run.nodeId())
            .tag("</td><td>")
            .text(
                run.errorMessage() == null
                    ? ""
                    : "[" + run.errorClass() + "] " + run.errorMessage())
            .tag("</td></tr>");
      }
      body.tag("</tbody></table></div>");
    }
    sql(body, id);
    return page("Audit " + id, body, session);
  }

  // ---------------------------------------------------------------- sign-in and forms

  private HttpResponse loginForm(HttpRequest request) {
    return loginPage(request.queryParameter("next").orElse("/"), Optional.empty(), 200);
  }

  private HttpResponse loginPage(String next, Optional<String> problem, int status) {
    Html body = new Html().tag("<h1>Sign in</h1>");
    if (config.token().isEmpty()) {
      body.tag("<p>This worker has no API token: the pages are open. ")
          .link("/", "Go to the overview")
          .tag("</p>");
      return page("Sign in", body, Optional.empty());
    }
    problem.ifPresent(p -> body.tag("<p class=\"problem\" role=\"alert\">").text(p).tag("</p>"));
    body.tag(
            "<form class=\"stack\" method=\"post\" action=\"/login\">"
                + "<input type=\"hidden\" name=\"next\" value=\"")
        .attr(safeNext(next))
        .tag(
            "\"><label for=\"token\">API token (the worker's <code>http.token</code>)</label>"
                + "<input id=\"token\" name=\"token\" type=\"password\" required autocomplete=\"current-password\">"
                + "<button type=\"submit\">Sign in</button></form>"
                + "<p>The session lasts 12 hours, in an HttpOnly cookie of this node only.</p>");
    return withStatus(page("Sign in", body, Optional.empty()), status);
  }

  private HttpResponse login(HttpRequest request) {
    Map<String, String> form = HttpApi.form(request.body());
    String next = safeNext(form.getOrDefault("next", "/"));
    if (config.token().isEmpty()) {
      return HttpResponse.seeOther(next);
    }
    String presented = form.get("token");
    if (presented == null || !config.token().get().matches(presented.strip())) {
      return loginPage(next, Optional.of("That is not this worker's API token."), 401);
    }
    BrowserSessions.Session session = sessions.create();
    return HttpResponse.seeOther(next).withHeader("Set-Cookie", sessions.cookie(session));
  }

  private HttpResponse logout(HttpRequest request) {
    Optional<BrowserSessions.Session> session = sessions.find(request);
    Map<String, String> form = HttpApi.form(request.body());
    if (session.isPresent() && session.get().csrfMatches(form.get("csrf"))) {
      sessions.end(session.get());
    }
    return HttpResponse.seeOther("/login").withHeader("Set-Cookie", sessions.expiredCookie());
  }

  private HttpResponse acknowledge(HttpRequest request) {
    Optional<BrowserSessions.Session> session = sessions.find(request);
    if (session.isEmpty()) {
      return HttpResponse.seeOther(
          "/login?next="
              + Encode.forUriComponent(Html.path("alerts", request.pathParameter("id"))));
    }
    Map<String, String> form = HttpApi.form(request.body());
    if (!session.get().csrfMatches(form.get("csrf"))) {
      return withStatus(
          page(
              "Refused",
              new Html()
                  .tag(
                      "<h1>Refused</h1><p class=\"problem\" role=\"alert\">The form's"
                          + " security token does not match your session (an old tab, or a request from"
                          + " another site). Reload the alert page and submit again.</p>"),
              session),
          403);
    }
    long id = WorkerApi.alertId(request);
    String by = form.getOrDefault("by", "").strip();
    String note = form.getOrDefault("note", "").strip();
    Optional<String> problem = Optional.empty();
    if (by.isEmpty()) {
      problem = Optional.of("Enter your name: who acknowledges.");
    } else if (by.length() > 200 || note.length() > 2000) {
      problem = Optional.of("The name is limited to 200 characters and the note to 2000.");
    } else if (hasControlCharacters(by) || hasControlCharacters(note.replaceAll("[\r\n\t]", ""))) {
      problem = Optional.of("The name and note cannot contain control characters.");
    }
    if (problem.isPresent()) {
      return alertPage(request, session, problem, 400);
    }
    return switch (node.alerts().acknowledge(id, by, note)) {
      case ACKNOWLEDGED ->
          HttpResponse.seeOther(Html.path("alerts", String.valueOf(id)) + "?acknowledged=1");
      case NOT_FOUND -> notFound("No alert " + id + ".", session);
      case NOT_OPEN ->
          alertPage(
              request,
              session,
              Optional.of("This alert is resolved; only open alerts can be acknowledged."),
              409);
    };
  }

  private static boolean hasControlCharacters(String text) {
    return text.chars().anyMatch(c -> Character.isISOControl(c));
  }

  /** Only a path of this site: never another origin (an open redirect). */
  private static String safeNext(String next) {
    return next.startsWith("/") && !next.startsWith("//") && !next.contains("\\") ? next : "/";
  }

  // ---------------------------------------------------------------- fragments

  private void searchForm(Html body, String value) {
    body.tag(
            "<form role=\"search\" method=\"get\" action=\"/search\">"
                + "<label for=\"q\">Find an audit by id</label> "
                + "<input id=\"q\" name=\"q\" type=\"search\" maxlength=\"100\" value=\"")
        .attr(value)
        .tag("\"> <button type=\"submit\">Search</button></form>");
  }

  private void links(Html body, AlertView alert) {
    HttpConfig.Links links = config.links();
    body.tag("<p>");
    links
        .runbookUrl()
        .ifPresent(
            runbook ->
                body.link(
                        runbook
                            + "#integrityaudit"
                            + alert.severity().toLowerCase(Locale.ROOT)
                            + "violations",
                        "Runbook: what to do")
                    .tag(" · "));
    links
        .grafanaUrl()
        .ifPresent(
            grafana ->
                body.link(
                        withQuery(grafana, "var-audit=" + Encode.forUriComponent(alert.auditId())),
                        "Grafana dashboard")
                    .tag(" · "));
    body.link("/api/alerts/" + alert.id(), "JSON").tag("</p>");
  }

  private static String withQuery(URI base, String query) {
    String text = base.toString();
    return text + (text.contains("?") ? "&" : "?") + query;
  }

  private void keys(Html body, String caption, List<Map<String, String>> keys) {
    if (keys.isEmpty()) {
      body.tag("<p><strong>").text(caption).tag(":</strong> none.</p>");
      return;
    }
    Set<String> columns = new LinkedHashSet<>();
    keys.forEach(key -> columns.addAll(key.keySet()));
    body.tag("<div class=\"scroll\"><table><caption>")
        .text(caption)
        .tag(" (")
        .text(keys.size())
        .tag(")</caption><thead><tr>");
    for (String column : columns) {
      body.tag("<th scope=\"col\">").text(column).tag("</th>");
    }
    body.tag("</tr></thead><tbody>");
    for (Map<String, String> key : keys) {
      body.tag("<tr>");
      for (String column : columns) {
        String value = key.get(column);
        body.tag("<td>").text(value == null ? "NULL" : value).tag("</td>");
      }
      body.tag("</tr>");
    }
    body.tag("</tbody></table></div>");
  }

  private void sql(Html body, String auditId) {
    NodeOperations.AuditSql sql = node.auditSql(auditId);
    body.tag("<h2 id=\"sql\">The SQL it runs</h2>");
    if (sql.unavailable().isPresent()) {
      body.tag("<p class=\"problem\">Not available now: ")
          .text(sql.unavailable().get())
          .tag("</p>");
      return;
    }
    body.tag(
        "<p>Each statement runs in a READ ONLY transaction with the audit's timeouts; bind"
            + " values are shown inlined.</p>");
    for (String statement : sql.statements()) {
      body.tag("<pre><code>").text(statement).tag(";</code></pre>");
    }
  }

  /** Violating rows of the completed runs, oldest to newest, as an inline SVG line chart. */
  static void chart(Html body, List<RunView> newestFirst) {
    List<RunView> runs = new ArrayList<>();
    for (RunView run : newestFirst) {
      if (run.violations() != null && run.finishedAt() != null) {
        runs.add(0, run);
      }
    }
    if (runs.isEmpty()) {
      body.tag("<p>No completed run yet.</p>");
      return;
    }
    long max = Math.max(1, runs.stream().mapToLong(RunView::violations).max().orElse(1));
    int width = 600;
    int height = 180;
    int left = 60;
    int right = 12;
    int top = 12;
    int bottom = 30;
    double plotWidth = width - left - right;
    double plotHeight = height - top - bottom;
    RunView first = runs.get(0);
    RunView last = runs.get(runs.size() - 1);
    body.tag("<figure><svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 ")
        .text(width)
        .tag(" ")
        .text(height)
        .tag(
            "\"><title id=\"chart-title\">Violating rows per completed run</title>"
                + "<desc id=\"chart-desc\">")
        .text(
            runs.size()
                + " completed runs from "
                + TIME.format(first.finishedAt())
                + " to "
                + TIME.format(last.finishedAt())
                + "; latest "
                + last.violations()
                + ", most "
                + max)
        .tag("</desc>");
    body.tag("<line x1=\"")
        .text(left)
        .tag("\" y1=\"")
        .text(top + plotHeight)
        .tag("\" x2=\"")
        .text(width - right)
        .tag("\" y2=\"")
        .text(top + plotHeight)
        .tag("\" stroke=\"#6b7280\"/><line x1=\"")
        .text(left)
        .tag("\" y1=\"")
        .text(top)
        .tag("\" x2=\"")
        .text(left)
        .tag("\" y2=\"")
        .text(top + plotHeight)
        .tag("\" stroke=\"#6b7280\"/>");
    body.tag("<text x=\"")
        .text(left - 6)
        .tag("\" y=\"")
        .text(top + 10)
        .tag("\" text-anchor=\"end\">")
        .text(count(max))
        .tag("</text>");
    body.tag("<text x=\"")
        .text(left - 6)
        .tag("\" y=\"")
        .text(top + plotHeight)
        .tag("\" text-anchor=\"end\">0</text>");
    body.tag("<text x=\"")
        .text(left)
        .tag("\" y=\"")
        .text(height - 8)
        .tag("\">")
        .text(TIME.format(first.finishedAt()).substring(0, 16))
        .tag("</text>");
    body.tag("<text x=\"")
        .text(width - right)
        .tag("\" y=\"")
        .text(height - 8)
        .tag("\" text-anchor=\"end\">")
        .text(TIME.format(last.finishedAt()).substring(0, 16))
        .tag("</text>");
    StringBuilder points = new StringBuilder();
    for (int i = 0; i < runs.size(); i++) {
      double x = left + (runs.size() == 1 ? plotWidth / 2 : plotWidth * i / (runs.size() - 1));
      double y = top + plotHeight - plotHeight * runs.get(i).violations() / max;
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }
    body.tag("<polyline fill=\"none\" stroke=\"#0b57d0\" stroke-width=\"2\" points=\"")
        .attr(points.toString().strip())
        .tag("\"/>");
    for (String point : points.toString().strip().split(" ")) {
      String[] xy = point.split(",");
      body.tag("<circle r=\"3\" fill=\"#0b57d0\" cx=\"")
          .attr(xy[0])
          .tag("\" cy=\"")
          .attr(xy[1])
          .tag("\"/>");
    }
    body.tag("</svg><figcaption>Violating rows found by each of the latest ")
        .text(runs.size())
        .tag(" completed runs (latest: ")
        .text(count(last.violations()))
        .tag(").</figcaption></figure>");
  }

  /**
   * What the audit's latest completed run found beyond its count, from every violating key tracked
   * across runs (docs/audits.md): how many violating rows are accepted backlog (the baseline) and
   * how many are not, since when the oldest has been violating, and how many are new, persist or
   * are gone since the run before. On-call reads "is this new, and how old is it" here.
   */
  private void findings(Html body, String auditId, List<RunView> newestFirst, Instant now) {
    body.tag("<h2 id=\"findings\">Latest completed run</h2>");
    Optional<RunView> latest =
        newestFirst.stream()
            .filter(
                run ->
                    RunStatus.OK.label().equals(run.status())
                        || RunStatus.VIOLATIONS.label().equals(run.status()))
            .findFirst();
    if (latest.isEmpty()) {
      body.tag("<p>No completed run yet.</p>");
      return;
    }
    RunView run = latest.get();
    body.tag("<dl>");
    definition(body, "Started", null);
    time(body, run.startedAt(), now).tag("</dd>");
    definition(body, "Violating rows", count(run.violations()));
    Optional<Baselines.BaselineView> baseline =
        node.baselines().list().stream().filter(b -> b.auditId().equals(auditId)).findFirst();
    if (run.baselineViolations() == null) {
      definition(
          body,
          "In the baseline",
          run.keyTracking() == null
              ? "unknown: its keys are not tracked"
              : "unknown: " + KeySets.describe(run.keyTracking()));
    } else {
      definition(body, "In the baseline", null).text(count(run.baselineViolations()));
      baseline.ifPresent(
          b -> {
            body.tag(" (accepted by ").text(b.acceptedBy()).tag(", ");
            time(body, b.acceptedAt(), now);
            if (!b.note().isBlank()) {
              body.tag(": “").text(b.note()).tag("”");
            }
            body.tag(")");
          });
      body.tag("</dd>");
      definition(body, "Outside the baseline", count(run.violations() - run.baselineViolations()));
    }
    definition(body, "Oldest open violation", null);
    if (run.oldestViolationSince() != null) {
      body.tag("first seen ");
      time(body, run.oldestViolationSince(), now);
    } else {
      body.tag(run.violations() == 0 ? "none" : "unknown");
    }
    body.tag("</dd>");
    definition(body, "Since the run before", null);
    if ("exact".equals(run.keyTracking())) {
      body.text(count(run.newViolations()))
          .tag(" new, ")
          .text(count(run.persistingViolations()))
          .tag(" persisting, ")
          .text(count(run.goneViolations()))
          .tag(" gone");
    } else {
      body.text(
          run.keyTracking() == null
              ? "not tracked (a kind without keys, or track_keys: 0)"
              : KeySets.describe(run.keyTracking()));
    }
    body.tag("</dd></dl>");
  }

  private static Html definition(Html body, String term, String value) {
    body.tag("<dt>").text(term).tag("</dt><dd>");
    if (value != null) {
      body.text(value).tag("</dd>");
    }
    return body;
  }

  private static Html badge(Html body, String label) {
    String css = label == null ? "" : label.toLowerCase(Locale.ROOT).replaceAll("[^a-z]", "");
    return body.tag("<span class=\"badge ").attr(css).tag("\">").text(label).tag("</span>");
  }

  private static Html time(Html body, Instant at, Instant now) {
    if (at == null) {
      return body.tag("—");
    }
    return body.tag("<time datetime=\"")
        .attr(at.toString())
        .tag("\">")
        .text(TIME.format(at))
        .tag("</time> (")
        .text(relative(at, now))
        .tag(")");
  }

  static String relative(Instant at, Instant now) {
    Duration d = Duration.between(at, now);
    boolean future = d.isNegative();
    d = d.abs();
    String amount;
    if (d.toDays() > 0) {
      amount = d.toDays() + " d " + d.toHoursPart() + " h";
    } else if (d.toHours() > 0) {
      amount = d.toHours() + " h " + d.toMinutesPart() + " min";
    } else if (d.toMinutes() > 0) {
      amount = d.toMinutes() + " min";
    } else {
      amount = d.toSeconds() + " s";
    }
    return future ? "in " + amount : amount + " ago";
  }

  private static String count(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }

  private static int severityRank(String severity) {
    return switch (severity) {
      case "critical" -> 0;
      case "warn" -> 1;
      default -> 2;
    };
  }

  private Optional<Audit> activeAudit(String id) {
    return node.activeAudits().stream().filter(a -> a.id().equals(id)).findFirst();
  }

  private HttpResponse notFound(String message, Optional<BrowserSessions.Session> session) {
    return withStatus(
        page(
            "Not found",
            new Html().tag("<h1>Not found</h1><p>").text(message).tag("</p>"),
            session),
        404);
  }

  private static HttpResponse withStatus(HttpResponse response, int status) {
    return new HttpResponse(
        status,
        response.contentType(),
        response.body(),
        response.redactedBytes(),
        response.headers());
  }

  /** The page around a body: header with navigation, main landmark, security headers. */
  private HttpResponse page(String title, Html body, Optional<BrowserSessions.Session> session) {
    Html page =
        new Html()
            .tag(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    + "<meta name=\"referrer\" content=\"no-referrer\"><title>")
            .text(title)
            .tag(" · integrity-auditor</title><style>")
            .tag(CSS)
            .tag(
                "</style></head><body><a class=\"skip\" href=\"#main\">Skip to content</a>"
                    + "<header><a href=\"/\">integrity-auditor</a><a href=\"/#open-alerts\">Open alerts</a>"
                    + "<a href=\"/#failing\">Failing audits</a>");
    session.ifPresent(
        s ->
            page.tag(
                    "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"")
                .attr(s.csrf())
                .tag("\"><button type=\"submit\">Sign out</button></form>"));
    page.tag("</header><main id=\"main\">").tag(body.toString()).tag("</main></body></html>");
    return new HttpResponse(200, HTML, page.toString())
        .withHeader("Content-Security-Policy", CSP)
        .withHeader("X-Frame-Options", "DENY")
        .withHeader("Referrer-Policy", "no-referrer");
  }
}
