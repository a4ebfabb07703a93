package io.integrityauditor.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The listener's certificate chain and private key read from PEM files ({@link TlsConfig}) into an
 * in-memory key store. Every problem (unreadable file, no certificate, encrypted or missing key, a
 * key that does not belong to the certificate) is a {@link ConfigException} located at the key of
 * the configuration file that names the file; no message ever contains key material.
 */
public final class PemCredentials {
  /** The alias of the one entry of the key store. */
  public static final String ALIAS = "listener";

  private PemCredentials() {}

  /**
   * @param password protects the key entry in memory (the key store is never written)
   */
  public static KeyStore keyStore(TlsConfig tls, char[] password) {
    List<X509Certificate> chain = certificates(tls);
    PrivateKey key = privateKey(tls);
    requireMatching(tls, chain.get(0), key);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(ALIAS, key, password, chain.toArray(new X509Certificate[0]));
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw problem(
          tls.privateKeyAt(),
          "private_key",
          "cannot hold the key of "
              + tls.privateKey()
              + " in a key store ("
              + e.getClass().getSimpleName()
              + "); use an RSA, EC or Ed25519 key");
    }
  }

  private static List<X509Certificate> certificates(TlsConfig tls) {
    List<X509Certificate> chain = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (PEMParser parser = parser(tls.certificate(), tls, "certificate")) {
      for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
        if (item instanceof X509CertificateHolder holder) {
          chain.add(converter.getCertificate(holder));
        }
      }
    } catch (ConfigException e) {
      throw e;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw problem(
          tls.certificateAt(),
          "certificate",
          tls.certificate()
              + " is not a PEM certificate file ("
              + e.getClass().getSimpleName()
              + "); give the certificate (-----BEGIN CERTIFICATE-----), then its chain");
    }
    if (chain.isEmpty()) {
      throw problem(
          tls.certificateAt(),
          "certificate",
          tls.certificate()
              + " holds no certificate (-----BEGIN CERTIFICATE-----); is it the key file?");
    }
    return chain;
  }

  private static PrivateKey privateKey(TlsConfig tls) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = parser(tls.privateKey(), tls, "private_key")) {
      for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
        if (item instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (item instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (item instanceof PEMEncryptedKeyPair || item instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw problem(
              tls.privateKeyAt(),
              "private_key",
              tls.privateKey()
                  + " is encrypted; give the key unencrypted (e.g. openssl pkey -in KEY -out"
                  + " key.pem) in a file only the worker's user can read");
        }
      }
    } catch (ConfigException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw problem(
          tls.privateKeyAt(),
          "private_key",
          tls.privateKey()
              + " is not a PEM private key file ("
              + e.getClass().getSimpleName()
              + "); give the key (-----BEGIN PRIVATE KEY-----, or RSA/EC PRIVATE KEY)");
    }
    throw problem(
        tls.privateKeyAt(),
        "private_key",
        tls.privateKey()
            + " holds no private key (-----BEGIN PRIVATE KEY-----); is it the certificate file?");
  }

  /** The key must be the certificate's: sign a random challenge and verify it with the cert. */
  private static void requireMatching(TlsConfig tls, X509Certificate certificate, PrivateKey key) {
    PublicKey publicKey = certificate.getPublicKey();
    boolean matching;
    try {
      String algorithm =
          switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new GeneralSecurityException(key.getAlgorithm());
          };
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      matching = verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      matching = false;
    }
    if (!matching) {
      throw problem(
          tls.privateKeyAt(),
          "private_key",
          "the key in "
              + tls.privateKey()
              + " does not belong to the certificate "
              + certificate.getSubjectX500Principal().getName()
              + " (the first one in "
              + tls.certificate()
              + "); give the key the certificate was issued for, or the certificate first");
    }
  }

  private static PEMParser parser(Path file, TlsConfig tls, String key) {
    try {
      Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
      return new PEMParser(reader);
    } catch (IOException e) {
      throw problem(
          key.equals("certificate") ? tls.certificateAt() : tls.privateKeyAt(),
          key,
          "cannot read "
              + file
              + " ("
              + e.getClass().getSimpleName()
              + "); check the path (relative to the configuration file) and that the worker's"
              + " user may read it");
    }
  }

  private static ConfigException problem(Location location, String key, String message) {
    return new ConfigException(new ConfigProblem(location, null, "http.tls." + key, message));
  }
}
