package io.integrityauditor.audit;

import io.integrityauditor.catalog.RoleAccess;
import io.integrityauditor.catalog.TableId;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tables the audits of one binding name that the target's role cannot read, gathered so that
 * {@code validate} warns once per schema, with the grants to run, at the first place that reads it.
 * One warning per side of every audit buried the grants under repetitions (newuser21: 15 lines for
 * 8 audits of one schema), and the same two statements fix them all.
 */
final class UnreadableTables {
  private record Schema(String target, String role, String name) {}

  private record First(Location location, String auditId, String keyPath) {}

  private final Map<Schema, First> first = new LinkedHashMap<>();
  private final Map<Schema, Set<TableId>> tables = new LinkedHashMap<>();
  private final Map<Schema, Set<String>> audits = new LinkedHashMap<>();

  void add(String target, String role, TableId table, Audit audit, String keyPath) {
    Schema schema = new Schema(target, role, table.schema());
    first.putIfAbsent(schema, new First(audit.locationOf(keyPath), audit.id(), keyPath));
    tables.computeIfAbsent(schema, s -> new LinkedHashSet<>()).add(table);
    audits.computeIfAbsent(schema, s -> new LinkedHashSet<>()).add(audit.id());
  }

  /** The ids of the audits that read a table their role cannot read: every run of each fails. */
  Set<String> auditIds() {
    Set<String> ids = new LinkedHashSet<>();
    audits.values().forEach(ids::addAll);
    return ids;
  }

  /** One warning per target and schema, by the id of the audit whose place it names. */
  Map<String, List<ConfigProblem>> warningsByAudit() {
    Map<String, List<ConfigProblem>> byAudit = new LinkedHashMap<>();
    first.forEach(
        (schema, at) ->
            byAudit
                .computeIfAbsent(at.auditId(), id -> new ArrayList<>())
                .add(
                    new ConfigProblem(at.location(), at.auditId(), at.keyPath(), message(schema))));
    return byAudit;
  }

  private String message(Schema schema) {
    int auditCount = audits.get(schema).size();
    return "role "
        + schema.role()
        + " cannot read schema "
        + schema.name()
        + " ("
        + String.join(", ", tables.get(schema).stream().map(TableId::toString).toList())
        + "), so every run of "
        + (auditCount == 1 ? "this audit" : "the " + auditCount + " audits reading it")
        + " fails; grant it: "
        + RoleAccess.readGrants(schema.name(), schema.role());
  }
}
