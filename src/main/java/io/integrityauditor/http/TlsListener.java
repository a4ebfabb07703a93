package io.integrityauditor.http;

import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.PemCredentials;
import io.integrityauditor.config.TlsConfig;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.util.Scanner;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS from the PEM files of {@code http.tls}: Jetty's {@link SslContextFactory.Server} over an
 * in-memory key store, and a scanner that loads renewed files (certbot, cert-manager) without a
 * restart.
 */
final class TlsListener {
  private static final Logger LOG = LoggerFactory.getLogger(TlsListener.class);

  /** How often the PEM files are checked for a renewal. */
  static final int RENEWAL_SCAN_SECONDS = 60;

  private TlsListener() {}

  /**
   * @throws ConfigException located at the {@code http.tls} key whose file is wrong
   */
  static SslContextFactory.Server contextFactory(TlsConfig tls) {
    SslContextFactory.Server factory = new SslContextFactory.Server();
    // the key store lives only in this process; its password only guards the entry in memory
    String password = randomPassword();
    factory.setKeyStore(PemCredentials.keyStore(tls, password.toCharArray()));
    factory.setKeyStorePassword(password);
    factory.setKeyManagerPassword(password);
    return factory;
  }

  /**
   * Watches both files and swaps the certificate in when they change; connections already open keep
   * theirs. Files that do not read or match (a renewal half written) keep the previous certificate,
   * and the next change is tried again.
   */
  static Scanner renewalScanner(TlsConfig tls, SslContextFactory.Server factory) {
    Scanner scanner = new Scanner();
    scanner.setScanInterval(RENEWAL_SCAN_SECONDS);
    scanner.setReportExistingFilesOnStartup(false);
    for (var file : List.of(tls.certificate(), tls.privateKey())) {
      scanner.addFile(file.toAbsolutePath());
    }
    scanner.addListener(
        new Scanner.BulkListener() {
          @Override
          public void filesChanged(Set<String> files) {
            reload(tls, factory);
          }
        });
    return scanner;
  }

  /** Reads the files again into the running listener; false when they do not make a pair. */
  static boolean reload(TlsConfig tls, SslContextFactory.Server factory) {
    try {
      String password = randomPassword();
      var store = PemCredentials.keyStore(tls, password.toCharArray());
      factory.reload(
          f -> {
            f.setKeyStore(store);
            f.setKeyStorePassword(password);
            f.setKeyManagerPassword(password);
          });
      LOG.info("TLS: loaded the renewed certificate from {}", tls.certificate());
      return true;
    } catch (ConfigException e) {
      LOG.warn(
          "TLS: the changed files do not make a certificate and its key, keeping the previous"
              + " one: {}",
          e.getMessage());
      return false;
    } catch (Exception e) {
      LOG.warn("TLS: cannot reload the certificate, keeping the previous one: {}", e.toString());
      return false;
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }
}
