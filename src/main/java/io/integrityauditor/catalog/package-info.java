/**
 * Introspection of an audited database: tables, columns and their types, primary, unique and
 * foreign keys, indexes, extensions and the search path, read from {@code pg_catalog} once into an
 * immutable {@link io.integrityauditor.catalog.Catalog}. Validation, query building and {@code
 * suggest} all read this snapshot instead of querying the target again.
 */
package io.integrityauditor.catalog;
