package io.integrityauditor.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.config.HttpConfig;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.TlsConfig;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestCertificates;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code http.tls}: HTTPS from PEM files, plain HTTP refused, renewed files picked up. */
class HttpsListenerTest {
  @TempDir Path dir;

  final TestCertificates ca = new TestCertificates();

  @Test
  void a_worker_with_pem_files_answers_https_and_plain_http_gets_no_answer() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("tls_target");
    TestPostgres.Database store = TestPostgres.newDatabase("tls_store");
    target.execute(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY,"
            + " customer_id int)");
    TestCertificates.Issued issued = ca.issue("localhost", false);
    TestCertificates.writeChain(dir.resolve("tls/cert.pem"), issued.certificate(), ca.ca());
    TestCertificates.writeTraditionalKey(dir.resolve("tls/key.pem"), issued.keys());
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        "audits:\n  - id: orders.customer\n    kind: orphan\n    child: orders.customer_id\n"
            + "    parent: customers.id\n");
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            store: {url: "%s", user: postgres}
            targets:
              app: {url: "%s", user: postgres}
            audits: [audits/*.yaml]
            http:
              port: 0
              read_only: true
              tls:
                certificate: tls/cert.pem
                private_key: tls/key.pem
            """
                .formatted(store.url(), target.url()));
    try (Worker worker = Worker.start(workspace.load(config), Clock.systemUTC())) {
      int port = worker.httpPort().orElseThrow();
      HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).build();

      HttpResponse<String> ready =
          https.send(
              HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/health/ready"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).contains("\"status\":\"ready\"");
      HttpResponse<String> metrics =
          https.send(
              HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("integrity_audit_audits 1.0");

      // plain HTTP on the same port: the bytes are no TLS handshake, no HTTP answer comes back
      HttpRequest plain =
          HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/live"))
              .timeout(Duration.ofSeconds(10))
              .build();
      assertThatThrownBy(
              () -> HttpClient.newHttpClient().send(plain, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
      // a client that does not trust the issuing CA refuses the certificate
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  URI.create("https://localhost:" + port + "/health/live"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class);
    }
  }

  @Test
  void renewed_pem_files_are_served_without_a_restart() throws Exception {
    Path certificate = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    TestCertificates.Issued first = ca.issue("localhost", false);
    TestCertificates.writeChain(certificate, first.certificate());
    TestCertificates.writePkcs8Key(key, first.keys());
    TlsConfig tls =
        new TlsConfig(certificate, key, new Location("test.yaml", 1), new Location("test.yaml", 2));
    HttpApi api =
        new HttpApi(
                new HttpConfig(
                    "127.0.0.1",
                    0,
                    Optional.empty(),
                    true,
                    true,
                    HttpConfig.Links.NONE,
                    Optional.of(tls)))
            .scrape(
                "/health/live",
                request -> io.integrityauditor.http.HttpResponse.ok(Map.of("status", "up")));
    try (HttpApi started = api.start()) {
      assertThat(servedSerial(started.port())).isEqualTo(first.certificate().getSerialNumber());

      TestCertificates.Issued renewed = ca.issue("localhost", true);
      TestCertificates.writeChain(certificate, renewed.certificate());
      TestCertificates.writePkcs8Key(key, renewed.keys());
      Eventually.within(
          Duration.ofSeconds(30),
          "the renewed certificate is served",
          () -> {
            started.checkTlsRenewal();
            return servedSerial(started.port()).equals(renewed.certificate().getSerialNumber());
          });
    }
  }

  private BigInteger servedSerial(int port) {
    try (SSLSocket socket =
        (SSLSocket) ca.clientContext().getSocketFactory().createSocket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
