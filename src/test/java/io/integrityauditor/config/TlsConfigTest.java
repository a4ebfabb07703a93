package io.integrityauditor.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestCertificates;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code http.tls}: PEM files checked at load, every mistake located at its key. */
class TlsConfigTest {
  @TempDir Path dir;

  final TestCertificates ca = new TestCertificates();
  TestCertificates.Issued issued;

  @BeforeEach
  void files() {
    issued = ca.issue("localhost", false);
    TestCertificates.writeChain(dir.resolve("cert.pem"), issued.certificate(), ca.ca());
    TestCertificates.writePkcs8Key(dir.resolve("key.pem"), issued.keys());
  }

  private String problems(String tls) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", "audits: []\n");
    Path file =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: jdbc:postgresql://db/app\nhttp:\n  tls:\n" + tls);
    try {
      new WorkerConfigLoader(Environment.of(Map.of())).load(file);
      return "";
    } catch (ConfigException e) {
      return e.getMessage();
    }
  }

  @Test
  void pem_files_relative_to_the_configuration_file_are_read_at_load() {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", "audits: []\n");
    Path file =
        workspace.write(
            "integrity-auditor.yaml",
            """
            targets:
              app:
                url: jdbc:postgresql://db/app
            http:
              tls:
                certificate: cert.pem
                private_key: key.pem
            """);
    TlsConfig tls =
        new WorkerConfigLoader(Environment.of(Map.of())).load(file).http().tls().orElseThrow();
    assertThat(tls.certificate()).isEqualTo(dir.resolve("cert.pem"));
    assertThat(tls.privateKey()).isEqualTo(dir.resolve("key.pem"));
    assertThat(tls.privateKeyAt().line()).isEqualTo(7);
  }

  @Test
  void a_missing_key_is_named_with_the_fix() {
    assertThat(problems("    certificate: cert.pem\n"))
        .endsWith(
            "integrity-auditor.yaml:6: key 'http.tls': http.tls needs both certificate: (PEM: the"
                + " certificate, then its chain) and private_key: (PEM); missing private_key");
  }

  @Test
  void an_unreadable_file_is_located_at_its_key() {
    assertThat(problems("    certificate: missing.pem\n    private_key: key.pem\n"))
        .endsWith(
            "integrity-auditor.yaml:6: key 'http.tls.certificate': cannot read "
                + dir.resolve("missing.pem")
                + " (NoSuchFileException); check the path (relative to the configuration file)"
                + " and that the worker's user may read it");
  }

  @Test
  void files_given_the_wrong_way_round_are_told_apart() {
    assertThat(problems("    certificate: key.pem\n    private_key: cert.pem\n"))
        .endsWith(
            "integrity-auditor.yaml:6: key 'http.tls.certificate': "
                + dir.resolve("key.pem")
                + " holds no certificate (-----BEGIN CERTIFICATE-----); is it the key file?");
  }

  @Test
  void a_key_of_another_certificate_is_refused_without_showing_either_key() {
    TestCertificates.Issued other = ca.issue("localhost", true);
    TestCertificates.writePkcs8Key(dir.resolve("other-key.pem"), other.keys());
    String problems = problems("    certificate: cert.pem\n    private_key: other-key.pem\n");
    assertThat(problems)
        .endsWith(
            "integrity-auditor.yaml:7: key 'http.tls.private_key': the key in "
                + dir.resolve("other-key.pem")
                + " does not belong to the certificate CN=localhost (the first one in "
                + dir.resolve("cert.pem")
                + "); give the key the certificate was issued for, or the certificate first");
    assertThat(problems)
        .doesNotContain(
            Base64.getEncoder()
                .encodeToString(other.keys().getPrivate().getEncoded())
                .substring(0, 40))
        .doesNotContain(
            Base64.getEncoder()
                .encodeToString(issued.keys().getPrivate().getEncoded())
                .substring(0, 40));
  }
}
