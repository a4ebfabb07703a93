package io.integrityauditor.run;

/**
 * Why a run did not complete.
 *
 * @param errorClass a stable, short classification ({@code timeout}, {@code lock_timeout}, {@code
 *     connection}, {@code read_only}, {@code replica_conflict}, {@code sql_42P01}, ...)
 * @param message the database's message with secrets masked, for humans
 */
public record RunError(String errorClass, String message) {}
