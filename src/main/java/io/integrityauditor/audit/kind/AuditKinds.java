package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditKind;
import java.util.List;

/** The audit kinds, by their {@code kind:} name: what each can do and how to read it from YAML. */
public final class AuditKinds {
  /**
   * The one column of a sample key that names a mismatched pair of column types instead of a row
   * (docs/audits.md, "Type alignment of references").
   */
  public static final String TYPE_MISMATCH_KEY = "type_mismatch";

  public static final List<AuditKind> ALL =
      List.of(
          new AuditKind(OrphanSpec.KIND, true, OrphanSpec::parse),
          new AuditKind(UniqueSpec.KIND, false, UniqueSpec::parse),
          new AuditKind(ConsistentSpec.KIND, false, ConsistentSpec::parse),
          new AuditKind(AcceptedValuesSpec.KIND, false, AcceptedValuesSpec::parse),
          new AuditKind(RequiredWhenSpec.KIND, false, RequiredWhenSpec::parse),
          new AuditKind(PolymorphicSpec.KIND, false, PolymorphicSpec::parse),
          new AuditKind(SchemaSpec.KIND, false, SchemaSpec::parse),
          new AuditKind(SqlSpec.KIND, false, SqlSpec::parse));

  private AuditKinds() {}

  public static List<String> names() {
    return ALL.stream().map(AuditKind::name).toList();
  }
}
