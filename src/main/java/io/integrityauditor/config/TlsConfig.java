package io.integrityauditor.config;

import java.nio.file.Path;

/**
 * TLS for the HTTP listener ({@code http.tls}): PEM files, as certificate authorities and
 * certbot-like tools write them.
 *
 * @param certificate the listener's certificate, followed by its chain (intermediates)
 * @param privateKey the certificate's private key, unencrypted (PKCS#8, PKCS#1 or SEC1)
 * @param certificateAt where {@code certificate} is written in the configuration file
 * @param privateKeyAt where {@code private_key} is written
 */
public record TlsConfig(
    Path certificate, Path privateKey, Location certificateAt, Location privateKeyAt) {}
