package io.integrityauditor.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.HttpConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 21 point 4: 40 loopback connections each sending one byte of a request every 5 s (a
 * slowloris) must neither shut out {@code /metrics} nor keep their connections beyond the request
 * deadline. On the old listener (a thread per connection, 32 of them, a timeout per read) every
 * scrape got 503 while they lasted.
 */
class SlowClientTest {
  static final int SLOW_CLIENTS = 40;
  static final byte[] REQUEST =
      "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Pad: ".getBytes(StandardCharsets.US_ASCII);

  HttpApi api;
  final List<Socket> slow = new ArrayList<>();
  final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() throws IOException {
    api =
        new HttpApi(new HttpConfig("127.0.0.1", 0, Optional.empty(), true, true))
            .get(
                "/metrics",
                request ->
                    io.integrityauditor.http.HttpResponse.text(
                        200, "text/plain; charset=utf-8", "integrity_audit_up 1\n"))
            .start();
  }

  @AfterEach
  void stop() throws IOException {
    trickle.shutdownNow();
    for (Socket socket : slow) {
      socket.close();
    }
    api.close();
  }

  @Test
  void
      forty_clients_sending_a_byte_every_five_seconds_neither_shut_out_scrapes_nor_keep_their_connections()
          throws Exception {
    long startNanos = System.nanoTime();
    for (int i = 0; i < SLOW_CLIENTS; i++) {
      Socket socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", api.port()), 2000);
      socket.setSoTimeout(10); // closedByServer: a 10 ms look per socket
      slow.add(socket);
    }
    int[] sent = {0};
    trickle.scheduleAtFixedRate(
        () -> {
          byte next = REQUEST[Math.min(sent[0]++, REQUEST.length - 1)];
          for (Socket socket : slow) {
            try {
              socket.getOutputStream().write(next);
              socket.getOutputStream().flush();
            } catch (IOException closedByTheServer) {
              // expected once the deadline has passed
            }
          }
        },
        0,
        5,
        TimeUnit.SECONDS);

    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    List<Integer> statuses = new ArrayList<>();
    while (System.nanoTime() - startNanos < Duration.ofSeconds(8).toNanos()) {
      HttpResponse<String> scrape =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/metrics"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      statuses.add(scrape.statusCode());
      Thread.sleep(250);
    }
    assertThat(statuses).hasSizeGreaterThan(10).containsOnly(200);
    // after two bytes each (5 s), still within the deadline: their connections are open
    assertThat(slow.stream().filter(SlowClientTest::closedByServer).count()).isZero();

    // the deadline counts from the first byte: closed within 10 s (+ one sweep and slack)
    while (System.nanoTime() - startNanos < HttpApi.REQUEST_DEADLINE.plusSeconds(3).toNanos()) {
      Thread.sleep(250);
    }
    assertThat(slow.stream().filter(SlowClientTest::closedByServer).count())
        .isEqualTo(SLOW_CLIENTS);
  }

  @Test
  void a_body_that_trickles_in_gets_408_when_the_request_deadline_passes() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", api.port())) {
      socket.setSoTimeout(20_000);
      long startNanos = System.nanoTime();
      socket
          .getOutputStream()
          .write(
              "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      trickle.scheduleAtFixedRate(
          () -> {
            try {
              socket.getOutputStream().write('x');
            } catch (IOException closedByTheServer) {
              // expected once the deadline has passed
            }
          },
          1,
          2,
          TimeUnit.SECONDS);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      long seconds = Duration.ofNanos(System.nanoTime() - startNanos).toSeconds();
      assertThat(answer)
          .startsWith("HTTP/1.1 408")
          .contains(
              "{\"error\":{\"status\":408,\"message\":\"the request did not arrive within 10 s");
      assertThat(seconds).isBetween(9L, 13L);
    }
  }

  /** True when the server has closed the connection (end of stream or reset), false if open. */
  private static boolean closedByServer(Socket socket) {
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }
}
