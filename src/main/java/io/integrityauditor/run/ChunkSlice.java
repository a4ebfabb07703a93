package io.integrityauditor.run;

import java.util.Optional;

/**
 * A key range of a chunked run's driving table.
 *
 * @param ordinal position in key order, from 0
 * @param lower inclusive lower bound as text of the key's type; empty: from the start
 * @param upper exclusive upper bound; empty: to the end
 * @param estimatedRows rows it is expected to hold
 */
public record ChunkSlice(
    int ordinal, Optional<String> lower, Optional<String> upper, long estimatedRows) {}
