package io.integrityauditor.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.HeadlessChromium;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The on-call pages of a running node whose data holds hostile keys: over HTTP (sign-in, CSRF,
 * escaping in the source) and in a real headless Chromium (each page loads and reads right, the
 * acknowledge form works with real clicks and typing, keyboard and phone layouts), with screenshots
 * in {@code target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnCallPagesTest {
  static final String TOKEN = "pages-test-token-71c3e0";
  static final String SCRIPT_KEY = "<script>window.__xss=1</script>";
  static final String IMG_KEY = "<img src=x onerror=\"window.__xss=2\">";
  static final String QUOTED_KEY = "\"quoted\" & 'single'";
  static final String UNICODE_KEY = "Ünïcødé-" + "✓🙂漢字".repeat(150);

  TestPostgres.Database target;
  TestPostgres.Database store;
  Worker worker;
  String base;
  long alertId;
  final HttpClient client =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeAll
  void start() throws Exception {
    target = TestPostgres.newDatabase("pages_target");
    store = TestPostgres.newDatabase("pages_store");
    target.execute(
        "CREATE TABLE customers (id text PRIMARY KEY); CREATE TABLE orders (id text PRIMARY KEY,"
            + " customer_id text); INSERT INTO customers VALUES ('c1');"
            + " INSERT INTO orders VALUES ('o1', 'c1'), ("
            + literal(SCRIPT_KEY)
            + ", 'gone-1'), ("
            + literal(IMG_KEY)
            + ", 'gone-2'), ("
            + literal(QUOTED_KEY)
            + ", 'gone-3'), ("
            + literal(UNICODE_KEY)
            + ", 'gone-4');");
    Workspace workspace = new Workspace(Files.createTempDirectory("pages"));
    workspace.write("token", TOKEN);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: orders.customer
            description: every order belongs to an existing customer
            kind: orphan
            child: orders.customer_id
            parent: customers.id
            severity: critical
            sample_size: 50
            schedule: '@every 1h'
          - id: broken.division
            kind: sql
            sql: SELECT id FROM orders WHERE 1 / (SELECT count(*) - count(*) FROM customers) = 1
            key_columns: [id]
            schedule: '@every 1h'
            allow_privileged_role: true   # the tests connect as the embedded server's superuser
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            store: {url: "%s", user: postgres}
            targets:
              app: {url: "%s", user: postgres}
            scheduler: {first_run_window: 0s}   # the first runs at once, not spread
            http:
              port: 0
              token_file: token
              runbook_url: https://git.example.com/integrity-auditor/blob/main/docs/runbook.md
              grafana_url: https://grafana.example.com/d/integrity-auditor
            """
                .formatted(store.url(), target.url()));
    worker = Worker.start(workspace.load(config), Clock.systemUTC());
    base = "http://127.0.0.1:" + worker.httpPort().orElseThrow();
    Eventually.within(
        Duration.ofSeconds(60),
        "both audits have finished their first run",
        () ->
            store.queryLong(
                    "SELECT count(*) FROM integrity_auditor.audit_run WHERE status <> 'running'")
                >= 2);
    alertId = store.queryLong("SELECT id FROM integrity_auditor.alert");
  }

  @AfterAll
  void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder get(String path) {
    return HttpRequest.newBuilder(URI.create(base + path));
  }

  private HttpRequest.Builder postForm(String path, String form) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form));
  }

  /** Signs in over HTTP; the session cookie ({@code name=value}). */
  private String signIn() throws Exception {
    HttpResponse<String> login = send(postForm("/login", "token=" + TOKEN + "&next=%2F"));
    assertThat(login.statusCode()).isEqualTo(303);
    return login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
  }

  @Test
  void pages_need_a_signed_in_browser_when_the_api_has_a_token() throws Exception {
    HttpResponse<String> anonymous = send(get("/alerts/" + alertId));
    assertThat(anonymous.statusCode()).isEqualTo(303);
    assertThat(anonymous.headers().firstValue("Location"))
        .contains("/login?next=%2Falerts%2F" + alertId);

    HttpResponse<String> wrong = send(postForm("/login", "token=guess&next=%2F"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("That is not this worker's API token.");
    assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();

    HttpResponse<String> login =
        send(postForm("/login", "token=" + TOKEN + "&next=%2F%2Fevil.example.com"));
    assertThat(login.statusCode()).isEqualTo(303);
    assertThat(login.headers().firstValue("Location")).contains("/"); // never another origin
    assertThat(login.headers().firstValue("Set-Cookie").orElseThrow())
        .startsWith("ia_session=")
        .contains("; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200")
        .doesNotContain(TOKEN);

    String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    HttpResponse<String> overview = send(get("/").header("Cookie", cookie));
    assertThat(overview.statusCode()).isEqualTo(200);
    assertThat(overview.headers().firstValue("Content-Security-Policy").orElseThrow())
        .startsWith("default-src 'none'; style-src 'sha256-")
        .contains("form-action 'self'; frame-ancestors 'none'");
    assertThat(overview.body()).doesNotContain(TOKEN);
  }

  @Test
  void every_value_from_the_database_is_escaped_in_the_html() throws Exception {
    String cookie = signIn();
    HttpResponse<String> page = send(get("/alerts/" + alertId).header("Cookie", cookie));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body())
        .doesNotContain(SCRIPT_KEY)
        .doesNotContain("<img")
        .contains("&lt;script&gt;window.__xss=1&lt;/script&gt;")
        .contains("&lt;img src=x onerror=\"window.__xss=2\"&gt;")
        .contains("\"quoted\" &amp; 'single'")
        .contains(UNICODE_KEY);
    assertThat(page.body().split("<script", -1)).hasSize(1);
  }

  @Test
  void the_acknowledge_form_refuses_a_post_without_the_sessions_csrf_token() throws Exception {
    String cookie = signIn();
    HttpResponse<String> forged =
        send(
            postForm("/alerts/" + alertId + "/ack", "by=mallory&note=x&csrf=guessed")
                .header("Cookie", cookie));
    assertThat(forged.statusCode()).isEqualTo(403);
    HttpResponse<String> noSession =
        send(postForm("/alerts/" + alertId + "/ack", "by=mallory&note=x&csrf=guessed"));
    assertThat(noSession.statusCode()).isEqualTo(303);
    assertThat(worker.alerts().find(alertId).orElseThrow().acknowledgedBy())
        .isNotEqualTo("mallory");
  }

  @Test
  void on_call_reviews_and_acknowledges_an_alert_in_a_real_browser() throws Exception {
    Optional<Path> binary = HeadlessChromium.binary();
    if (binary.isEmpty()) {
      if ("true".equals(System.getenv("CI"))) {
        fail("chromium is required in CI: .ci/run installs Debian's chromium package");
      }
      Assumptions.abort("chromium is not installed (apt-get install chromium)");
    }
    Path shots = Path.of("target", "screenshots");
    try (HeadlessChromium browser = new HeadlessChromium(binary.get())) {
      browser.viewport(1280, 900, false);
      browser.navigate(base + "/");
      assertThat(browser.url()).isEqualTo(base + "/login?next=%2F");
      assertThat(browser.text()).contains("Sign in").contains("API token");
      browser.screenshot(shots.resolve("login.png"));
      browser.type("#token", TOKEN);
      browser.clickAndWait("form.stack button");

      assertThat(browser.url()).isEqualTo(base + "/");
      String overview = browser.text();
      assertThat(overview)
          .contains("Open alerts (1)")
          .contains("orders.customer")
          .contains("4 of 5") // violating rows of rows checked
          .contains("not acknowledged")
          .contains("Audits failing or stale (1)")
          .contains("broken.division");
      assertThat(browser.tab()).isEqualTo("skip"); // the first Tab reaches "Skip to content"
      browser.screenshot(shots.resolve("overview.png"));

      browser.clickAndWait("a[href='/alerts/" + alertId + "']");
      String alert = browser.text();
      assertThat(alert)
          .contains("Alert " + alertId + ": orders.customer")
          .contains("every order belongs to an existing customer")
          .contains(SCRIPT_KEY)
          .contains(IMG_KEY)
          .contains(QUOTED_KEY)
          .contains(UNICODE_KEY)
          .contains("In the run that opened this alert (4)")
          .contains("Violating rows over time")
          .contains("The SQL it runs")
          .contains("Runbook: what to do")
          .contains("Grafana dashboard");
      assertThat(browser.evaluate("document.querySelectorAll('script, img').length").asInt())
          .isZero();
      assertThat(browser.evaluate("typeof window.__xss").asText()).isEqualTo("undefined");
      assertThat(
              browser
                  .evaluate("document.querySelector('svg[role=img] circle') !== null")
                  .asBoolean())
          .isTrue();
      assertThat(
              browser.evaluate("document.querySelector('a[href*=\"runbook.md\"]').href").asText())
          .endsWith("/docs/runbook.md#integrityauditcriticalviolations");
      assertThat(
              browser.evaluate("document.querySelector('label[for=ack-by]').textContent").asText())
          .isEqualTo("Your name");
      browser.screenshot(shots.resolve("alert.png"));

      String by = "Zoë O'Brien \"on-call\"";
      String note = "<b>looking</b> — fix in JIRA-7 ✓";
      browser.type("#ack-by", by);
      browser.type("#ack-note", note);
      browser.clickAndWait("form.stack button[type=submit]");
      assertThat(browser.url()).isEqualTo(base + "/alerts/" + alertId + "?acknowledged=1");
      assertThat(browser.text()).contains("Acknowledged by " + by + ".").contains("“" + note + "”");
      assertThat(worker.alerts().find(alertId).orElseThrow().acknowledgedBy()).isEqualTo(by);
      assertThat(worker.alerts().find(alertId).orElseThrow().acknowledgementNote()).isEqualTo(note);
      // what the acknowledgement covers, worded as `alerts` words it
      assertThat(browser.text())
          .contains(
              worker.alerts().find(alertId).orElseThrow().acknowledgementCoverage().orElseThrow())
          .contains("the acknowledgement covers run")
          .contains("no row broke since");

      browser.viewport(390, 844, true); // a phone
      browser.navigate(base + "/alerts/" + alertId);
      assertThat(
              browser
                  .evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                  .asBoolean())
          .as("no sideways scrolling of the page on a phone (wide tables scroll in place)")
          .isTrue();
      browser.screenshot(shots.resolve("alert-phone.png"));

      browser.viewport(1280, 900, false);
      browser.navigate(base + "/audits/orders.customer");
      assertThat(browser.text())
          .contains("Audit orders.customer")
          .contains("Next run")
          .contains("Run history")
          .contains("violations")
          .containsPattern(
              "in ([3-5][0-9]|60) min"); // the hourly schedule; at load 30 the page is reached
      // minutes after the first run
      browser.screenshot(shots.resolve("audit.png"));

      browser.navigate(base + "/audits/broken.division");
      assertThat(browser.text()).contains("failing").contains("division by zero");
      browser.screenshot(shots.resolve("audit-failing.png"));
    }
  }
}
