package io.integrityauditor.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.HttpConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The listener starts while the node is still starting ({@link HttpApi#listen()}): it answers 503
 * with Retry-After, in the API's JSON, until the routes open; never a route of a node that is not
 * there yet, never a refused connection.
 */
class StartingListenerTest {
  final HttpClient client = HttpClient.newHttpClient();

  @Test
  void every_request_gets_503_until_the_routes_open_then_the_routes_answer() throws Exception {
    try (HttpApi api =
        new HttpApi(new HttpConfig("127.0.0.1", 0, Optional.empty(), true, true)).listen()) {
      String base = "http://127.0.0.1:" + api.port();
      for (String path : new String[] {"/health/ready", "/health/live", "/metrics", "/nowhere"}) {
        HttpResponse<String> starting = get(base + path);
        assertThat(starting.statusCode()).isEqualTo(503);
        assertThat(starting.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(starting.body())
            .isEqualTo(
                "{\"error\":{\"status\":503,\"message\":\"the node is starting: loading and"
                    + " scheduling the audits\"}}");
      }

      api.scrape(
              "/health/live",
              request -> io.integrityauditor.http.HttpResponse.ok(Map.of("status", "up")))
          .open();

      HttpResponse<String> live = get(base + "/health/live");
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.body()).isEqualTo("{\"data\":{\"status\":\"up\"}}");
      assertThat(get(base + "/nowhere").statusCode()).isEqualTo(404);
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
