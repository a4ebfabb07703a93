package io.integrityauditor.run;

import java.util.Optional;

/**
 * The rows a chunked full sweep of an incremental audit covers: {@code column <= upTo OR column IS
 * NULL}. Its chunks run in several snapshots, so rows inserted meanwhile are left to the next
 * incremental run instead of being counted twice.
 *
 * @param column the watermark column
 * @param upTo the watermark read when the sweep started; empty when the table was empty
 */
public record SweepScope(String column, Optional<String> upTo) {}
