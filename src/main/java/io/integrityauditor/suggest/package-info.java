/**
 * {@code suggest}: discovers references that have no foreign key. Candidates come from names and
 * types in the catalog ({@code customer_id} -> {@code customers.id}, role names, self-references,
 * prefixes), each is checked against a bounded sample of the data in read-only transactions, and
 * the supported ones are written as an audit file of orphan audits with their evidence. Nothing
 * here writes to the audited database. See docs/suggest.md.
 */
package io.integrityauditor.suggest;
