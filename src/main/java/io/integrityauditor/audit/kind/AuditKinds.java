package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.AuditKind;
import java.util.List;

/** The audit kinds, by their {@code kind:} name: what each can do and how to read it from YAML. */
public final class AuditKinds {
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
