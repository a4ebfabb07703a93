/**
 * The audit kinds ({@code orphan}, {@code unique}, {@code consistent}, {@code accepted_values},
 * {@code required_when}, {@code polymorphic}, {@code schema}, {@code sql}): each kind's parsing,
 * binding and SQL side by side, and {@link io.integrityauditor.audit.kind.AuditKinds}, the kinds by
 * their {@code kind:} name.
 */
package io.integrityauditor.audit.kind;
