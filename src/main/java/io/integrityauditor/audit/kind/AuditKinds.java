package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditSpec;
import io.integrityauditor.config.Fields;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The audit kinds, by their {@code kind:} name, and how to read each from YAML. */
public final class AuditKinds {
  private static final Map<String, Function<Fields, Optional<AuditSpec>>> PARSERS =
      new LinkedHashMap<>();

  static {
    PARSERS.put(OrphanSpec.KIND, OrphanSpec::parse);
    PARSERS.put(UniqueSpec.KIND, UniqueSpec::parse);
    PARSERS.put(ConsistentSpec.KIND, ConsistentSpec::parse);
    PARSERS.put(AcceptedValuesSpec.KIND, AcceptedValuesSpec::parse);
    PARSERS.put(RequiredWhenSpec.KIND, RequiredWhenSpec::parse);
    PARSERS.put(PolymorphicSpec.KIND, PolymorphicSpec::parse);
    PARSERS.put(SchemaSpec.KIND, SchemaSpec::parse);
    PARSERS.put(SqlSpec.KIND, SqlSpec::parse);
  }

  private AuditKinds() {}

  public static List<String> names() {
    return List.copyOf(PARSERS.keySet());
  }

  /** Reads the kind-specific keys of one audit; empty (with problems reported) when unusable. */
  public static Optional<AuditSpec> parse(String kind, Fields fields) {
    return PARSERS.get(kind).apply(fields);
  }
}
