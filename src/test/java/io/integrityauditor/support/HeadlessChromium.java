package io.integrityauditor.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.integrityauditor.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code chromium}, headless, driven through the Chrome DevTools Protocol over the JDK's
 * own WebSocket client (JSON by Jackson): load pages, read the DOM, click and type with real input
 * events, take screenshots. One page, one fresh profile per instance.
 */
public final class HeadlessChromium implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();

  /** The chromium binary, if installed. */
  public static Optional<Path> binary() {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Optional.of(Path.of(candidate));
      }
    }
    return Optional.empty();
  }

  public HeadlessChromium(Path binary) throws Exception {
    profile = Files.createTempDirectory("chromium-profile");
    process =
        new ProcessBuilder(
                binary.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    String browserUrl = devToolsUrl();
    URI browser = URI.create(browserUrl);
    HttpClient http = HttpClient.newHttpClient();
    // a page target of its own: its WebSocket URL from the DevTools HTTP endpoint
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://"
                            + browser.getHost()
                            + ":"
                            + browser.getPort()
                            + "/json/new?about:blank"))
                .PUT(HttpRequest.BodyPublishers.noBody())
                .timeout(TIMEOUT)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String pageUrl = Json.MAPPER.readTree(created.body()).get("webSocketDebuggerUrl").asText();
    socket =
        http.newWebSocketBuilder()
            .connectTimeout(TIMEOUT)
            .buildAsync(URI.create(pageUrl), new Listener())
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    send("Page.enable", Map.of());
    send("Runtime.enable", Map.of());
  }

  private String devToolsUrl() throws IOException {
    BufferedReader stderr =
        new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    String line;
    while (System.nanoTime() < deadline && (line = stderr.readLine()) != null) {
      Matcher matcher = DEVTOOLS.matcher(line);
      if (matcher.find()) {
        Thread drain = new Thread(() -> stderr.lines().forEach(ignored -> {}), "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        return matcher.group(1);
      }
      seen.add(line);
    }
    throw new IOException("chromium did not start its DevTools endpoint; it said: " + seen);
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode message = Json.MAPPER.readTree(partial.toString());
          if (message.has("id")) {
            CompletableFuture<JsonNode> future = pending.remove(message.get("id").asInt());
            if (future != null) {
              future.complete(message);
            }
          } else {
            events.add(message);
          }
        } catch (IOException e) {
          throw new IllegalStateException("unreadable DevTools message", e);
        }
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }
  }

  /** Sends a DevTools command and waits for its result (an error is an AssertionError). */
  public JsonNode send(String method, Map<String, ?> params) throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode command = Json.MAPPER.createObjectNode();
    command.put("id", id);
    command.put("method", method);
    command.set("params", Json.MAPPER.valueToTree(params));
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    pending.put(id, result);
    socket.sendText(Json.MAPPER.writeValueAsString(command), true);
    JsonNode reply = result.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (reply.has("error")) {
      throw new AssertionError(method + " failed: " + reply.get("error"));
    }
    return reply.get("result");
  }

  /** Loads a URL and waits for its load event. */
  public void navigate(String url) throws Exception {
    events.clear();
    send("Page.navigate", Map.of("url", url));
    awaitLoad();
  }

  private void awaitLoad() throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode event = events.poll(500, TimeUnit.MILLISECONDS);
      if (event != null && event.path("method").asText().equals("Page.loadEventFired")) {
        return;
      }
    }
    throw new AssertionError("the page did not finish loading within " + TIMEOUT);
  }

  /** The value of a JavaScript expression evaluated by the test in the page (the page has none). */
  public JsonNode evaluate(String expression) throws Exception {
    JsonNode result =
        send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
    if (result.has("exceptionDetails")) {
      throw new AssertionError("evaluation failed: " + result.get("exceptionDetails"));
    }
    return result.path("result").path("value");
  }

  public String text() throws Exception {
    return evaluate("document.body.innerText").asText();
  }

  public String url() throws Exception {
    return evaluate("location.href").asText();
  }

  /** A real mouse click in the middle of the first element matching the CSS selector. */
  public void click(String selector) throws Exception {
    JsonNode box =
        evaluate(
            "(() => { const e = document.querySelector("
                + Json.MAPPER.writeValueAsString(selector)
                + "); if (!e) return null; e.scrollIntoView({block: 'center'});"
                + " const r = e.getBoundingClientRect();"
                + " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
    if (box.isNull() || box.isMissingNode()) {
      throw new AssertionError("no element matches " + selector + " on " + url());
    }
    for (String type : List.of("mouseMoved", "mousePressed", "mouseReleased")) {
      send(
          "Input.dispatchMouseEvent",
          Map.of(
              "type",
              type,
              "x",
              box.get("x").asDouble(),
              "y",
              box.get("y").asDouble(),
              "button",
              "left",
              "clickCount",
              1));
    }
  }

  /** Clicks what starts a navigation and waits for the next page to load. */
  public void clickAndWait(String selector) throws Exception {
    events.clear();
    click(selector);
    awaitLoad();
  }

  /** Clicks a field, then types text into it as keyboard input. */
  public void type(String selector, String text) throws Exception {
    click(selector);
    send("Input.insertText", Map.of("text", text));
  }

  /** Presses Tab; returns the focused element's id, class or tag. */
  public String tab() throws Exception {
    for (String type : List.of("keyDown", "keyUp")) {
      send(
          "Input.dispatchKeyEvent",
          Map.of("type", type, "key", "Tab", "code", "Tab", "windowsVirtualKeyCode", 9));
    }
    return evaluate(
            "(() => { const e = document.activeElement;"
                + " return e.id || e.className || e.tagName; })()")
        .asText();
  }

  /** Emulates a viewport (a phone: 390 x 844, mobile). */
  public void viewport(int width, int height, boolean mobile) throws Exception {
    send(
        "Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", mobile));
  }

  /** A full-page PNG screenshot. */
  public void screenshot(Path file) throws Exception {
    JsonNode shot =
        send("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(shot.get("data").asText()));
  }

  @Override
  public void close() throws Exception {
    try {
      socket.abort();
    } finally {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      deleteProfile();
    }
  }

  /** Best effort: chromium's helper processes may still be writing their last files. */
  private void deleteProfile() {
    try (var files = Files.walk(profile)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // left in the temporary directory
    }
  }
}
