package io.integrityauditor.bench;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.serve.Auditor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bench's own audits, loaded and bound: the bench writes their file itself, so any problem is a
 * bench bug and stops it (a user's `check` reports problems and goes on instead).
 */
record BenchAudits(Auditor.Binding binding, Map<String, Audit> byId) {

  static BenchAudits loadAndBind(Auditor auditor) {
    var set = auditor.loadAudits();
    if (!set.problems().isEmpty()) {
      throw new ConfigException(set.problems());
    }
    Auditor.Binding binding = auditor.bind(set.audits());
    if (!binding.problems().isEmpty()) {
      throw new ConfigException(binding.problems());
    }
    Map<String, Audit> byId = new LinkedHashMap<>();
    set.audits().forEach(a -> byId.put(a.id(), a));
    return new BenchAudits(binding, Map.copyOf(byId));
  }

  Audit get(String id) {
    Audit audit = byId.get(id);
    if (audit == null) {
      throw new IllegalStateException("the bench's audit file has no audit " + id);
    }
    return audit;
  }
}
