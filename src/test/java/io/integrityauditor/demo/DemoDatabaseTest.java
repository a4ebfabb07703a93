package io.integrityauditor.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo database and the shipped audits: every injected violation is found, exactly, every
 * shipped audit finds at least one, and every kind is shipped.
 */
class DemoDatabaseTest {
  @TempDir Path dir;

  @Test
  void shipped_audits_find_exactly_the_injected_violations() throws Exception {
    try (DemoDatabase database = DemoDatabase.start(dir.resolve("pgdata"))) {
      Path audits = Path.of("audits").toAbsolutePath();
      Path config = database.writeConfig(dir, List.of(audits + "/*.yaml"), "");
      try (Auditor auditor =
          Auditor.open(
              new WorkerConfigLoader(Environment.system()).load(config), Clock.systemUTC())) {
        AuditSet set = auditor.loadAudits();
        assertThat(set.problems()).isEmpty();
        Auditor.Binding binding = auditor.bind(set.audits());
        assertThat(binding.problems()).isEmpty();
        assertThat(
                binding.bound().stream()
                    .flatMap(b -> b.warnings().stream())
                    .map(ConfigProblem::message))
            .containsExactly(
                "type mismatch: vendors.workspace_id is text but workspaces.id is uuid; each run"
                    + " counts it as 1 violation and compares the values as text. Give the"
                    + " reference its key's type (a foreign key needs identical types)");
        Map<String, Long> found = new TreeMap<>();
        Map<String, AuditResult> byId = new TreeMap<>();
        for (AuditResult result : auditor.runAll(binding, set.audits(), RunTrigger.CHECK)) {
          assertThat(result.status()).as(result.audit().id()).isEqualTo(RunStatus.VIOLATIONS);
          found.put(result.audit().id(), result.measurement().orElseThrow().violations());
          byId.put(result.audit().id(), result);
        }
        // the second database: billing's references into apms, each side read in its own
        for (String id :
            List.of(
                "subscriptions.workspace",
                "server_charges.server",
                "server_charges.organization")) {
          assertThat(byId.get(id).audit().targets()).as(id).containsExactly("billing", "apms");
        }
        assertThat(
                byId.get("subscriptions.workspace").measurement().orElseThrow().samples().stream()
                    .map(sample -> sample.values().get("id"))
                    .toList())
            .containsExactly("sub-5", "sub-6");
        assertThat(
                byId.get("server_charges.organization").measurement().orElseThrow().rowsChecked())
            .as("charges whose server exists")
            .isEqualTo(800);
        assertThat(found).isEqualTo(new TreeMap<>(DemoDatabase.EXPECTED_VIOLATIONS));
        assertThat(DemoDatabase.EXPECTED_VIOLATIONS.values()).allMatch(count -> count > 0);
        assertThat(set.audits().stream().map(Audit::kind).distinct())
            .containsExactlyInAnyOrderElementsOf(AuditKinds.names());
      }
    }
  }
}
