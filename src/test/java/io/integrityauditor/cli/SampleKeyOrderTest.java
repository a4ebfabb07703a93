package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.Json;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sample keys read back from the store come out as the run showed them: columns in the audit's key
 * order, rows in sample order. The store keeps a key as a jsonb object, whose keys jsonb sorts by
 * length and bytes, and compares objects by those sorted keys.
 */
class SampleKeyOrderTest {
  @TempDir Path dir;

  /** The keys' text in JSON order: each key's fields as {@code name=value}, joined by ", ". */
  private static List<String> keys(JsonNode keys) {
    List<String> shown = new ArrayList<>();
    for (JsonNode key : keys) {
      List<String> fields = new ArrayList<>();
      key.fields().forEachRemaining(f -> fields.add(f.getKey() + "=" + f.getValue().asText()));
      shown.add(String.join(", ", fields));
    }
    return shown;
  }

  @Test
  void runs_and_alerts_show_sample_keys_in_key_column_order_and_sample_order() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("sample_order_target");
    TestPostgres.Database store = TestPostgres.newDatabase("sample_order_store");
    // a key (zeta, alpha) and a reference column "ref": jsonb would order them ref, zeta, alpha,
    // and the rows by ref (902 first), the reverse of the sample's key order
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent VALUES (1);
        CREATE TABLE child (zeta int, alpha int, ref int, PRIMARY KEY (zeta, alpha));
        INSERT INTO child VALUES (1, 1, 1), (2, 1, 900), (1, 5, 901), (1, 3, 902);
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: child.ref
            kind: orphan
            child: child.ref
            parent: parent.id
        """);
    Path config = workspace.config(target, store);
    List<String> expected =
        List.of("zeta=1, alpha=3, ref=902", "zeta=1, alpha=5, ref=901", "zeta=2, alpha=1, ref=900");

    CliRunner.Outcome check = CliRunner.execute("check", config, "--format", "json");
    assertThat(keys(Json.MAPPER.readTree(check.out()).get("data").get(0).get("samples")))
        .as("what check shows, the order the store must keep")
        .containsExactlyElementsOf(expected);

    JsonNode run =
        Json.MAPPER
            .readTree(CliRunner.execute("runs", config, "child.ref", "--format", "json").out())
            .get("data")
            .get(0);
    assertThat(keys(run.get("samples"))).containsExactlyElementsOf(expected);
    assertThat(CliRunner.execute("runs", config, "child.ref").out())
        .contains(
            "sample keys of run "
                + run.get("id").asLong()
                + ":\n  {"
                + String.join("}\n  {", expected)
                + "}\n");

    JsonNode alert =
        Json.MAPPER
            .readTree(CliRunner.execute("alerts", config, "--format", "json").out())
            .get("data")
            .get(0);
    assertThat(keys(alert.get("newKeys"))).containsExactlyElementsOf(expected);
    assertThat(CliRunner.execute("alerts", config).out())
        .contains(
            "sample keys (3): {zeta=1, alpha=3, ref=902} {zeta=1, alpha=5, ref=901}"
                + " {zeta=2, alpha=1, ref=900}");

    // the next run: the same keys persist, in the same order
    CliRunner.execute("check", config);
    JsonNode again =
        Json.MAPPER
            .readTree(CliRunner.execute("alerts", config, "--format", "json").out())
            .get("data")
            .get(0);
    assertThat(keys(again.get("persistingKeys"))).containsExactlyElementsOf(expected);
  }
}
