/**
 * The audited databases ("targets"): their connection pools (HikariCP, configured in one place,
 * shared with the store's pool settings), each server's connection budget (shared with the other
 * nodes through {@link io.integrityauditor.targets.SharedBudget}) and the read-only door every
 * touch of a target goes through.
 */
package io.integrityauditor.targets;
