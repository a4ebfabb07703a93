package io.integrityauditor.audit;

import io.integrityauditor.config.Fields;
import java.util.Optional;
import java.util.function.Function;

/**
 * One audit kind as the loader sees it: its {@code kind:} name, what it can do, and how to read its
 * keys from YAML. The kinds declare themselves (in {@code audit.kind}); the loader receives them,
 * so that the model and loading do not import the kinds.
 *
 * @param splittable its query can run over key ranges of one driving table (chunked and incremental
 *     runs)
 * @param parser reads the kind-specific keys of one audit; empty (with problems reported) when
 *     unusable
 */
public record AuditKind(
    String name, boolean splittable, Function<Fields, Optional<AuditSpec>> parser) {}
