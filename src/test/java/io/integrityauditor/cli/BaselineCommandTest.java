package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.Json;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Baselines: the violating rows of a database that is already broken accepted as known backlog, so
 * that {@code max_new_violations} alerts on every new broken row while the backlog shrinks by
 * itself as it is fixed (and a fixed row that breaks again is new). Through the real command line,
 * store and target.
 */
class BaselineCommandTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;
  Path config;

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("baseline_target");
    store = TestPostgres.newDatabase("baseline_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT i FROM generate_series(1, 100) i;
        -- rows 1-40 are orphans: the backlog (more than the sample of 5)
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child SELECT i, CASE WHEN i <= 40 THEN 1000 + i ELSE 1 + i % 100 END
          FROM generate_series(1, 5000) i;
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: child.parent
            kind: orphan
            child: child.parent_id
            parent: parent.id
            sample_size: 5
            threshold: {max_new_violations: 0}
          - id: parent.schema
            kind: schema
            tables: [parent]
        """);
    config = workspace.config(target, store);
  }

  private CliRunner.Outcome cli(String command, String... args) {
    return CliRunner.execute(command, config, args);
  }

  /** Violations, baseline violations and breach of each run of the audit, in order. */
  private List<String> runs() {
    return store
        .query(
            "SELECT violations, baseline_violations, threshold_breached"
                + " FROM integrity_auditor.audit_run WHERE audit_id = 'child.parent' ORDER BY id")
        .stream()
        .map(
            r ->
                r.get("violations")
                    + " in baseline "
                    + r.get("baseline_violations")
                    + (Boolean.TRUE.equals(r.get("threshold_breached")) ? " breached" : " ok"))
        .toList();
  }

  private long openAlerts() {
    return store.queryLong(
        "SELECT count(*) FROM integrity_auditor.alert WHERE audit_id = 'child.parent'"
            + " AND state = 'open'");
  }

  @Test
  void a_baseline_silences_the_backlog_and_every_new_broken_row_breaches() {
    assertThat(cli("check", "--audit", "child.parent").code()).as("no baseline yet").isEqualTo(1);
    assertThat(openAlerts()).isEqualTo(1);

    CliRunner.Outcome accepted =
        cli("baseline", "child.parent", "--by", "alice", "--note", "backlog, JIRA-123");
    assertThat(accepted.code()).as(accepted.err()).isZero();
    assertThat(accepted.out())
        .isEqualTo(
            "40 violating rows of child.parent accepted as its baseline; from its next run on,"
                + " max_new_violations counts only the rows outside it\n");

    CliRunner.Outcome quiet = cli("check", "--audit", "child.parent");
    assertThat(quiet.code()).as(quiet.out()).isZero();
    assertThat(openAlerts()).as("the alert resolves").isZero();

    // 10 of the backlog fixed, 3 new orphans
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id <= 10;"
            + "UPDATE child SET parent_id = 5000 + id WHERE id BETWEEN 101 AND 103;");
    CliRunner.Outcome newRows = cli("check", "--audit", "child.parent");
    assertThat(newRows.code()).isEqualTo(1);
    assertThat(newRows.out())
        .contains(
            "33 violating rows (threshold: more than 0 violations outside the baseline,"
                + " breached): 3 outside the baseline, 30 in it; sample keys:");
    // the alert opened by this run: its 5 sample keys are not "new keys" (3 rows are new)
    assertThat(cli("alerts", "--open").out())
        .contains("violating rows since the run before: 3 new, 30 persisting, 10 gone")
        .contains("sample keys (5):")
        .doesNotContain("new keys");

    // a fixed row of the backlog that breaks again is new
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id BETWEEN 101 AND 103;"
            + "UPDATE child SET parent_id = 7001 WHERE id = 1;");
    assertThat(cli("check", "--audit", "child.parent").code()).isEqualTo(1);

    assertThat(runs())
        .containsExactly(
            "40 in baseline 0 breached",
            "40 in baseline 40 ok",
            "33 in baseline 30 breached",
            "31 in baseline 30 breached");
    CliRunner.Outcome list = cli("baseline");
    assertThat(list.out())
        .contains("child.parent")
        .contains("alice")
        .contains("backlog, JIRA-123")
        .containsPattern("40 +30 ");
    assertThat(cli("runs", "child.parent", "--format", "json").out())
        .contains("\"baselineViolations\" : 30");
    assertThat(cli("alerts", "--open").out())
        .contains("baseline (accepted backlog): 30 in it, 1 outside it");

    CliRunner.Outcome cleared = cli("baseline", "--clear", "child.parent");
    assertThat(cleared.out())
        .isEqualTo("baseline of child.parent cleared: every violating row counts again\n");
    cli("check", "--audit", "child.parent");
    assertThat(runs().get(runs().size() - 1)).isEqualTo("31 in baseline 0 breached");
    assertThat(cli("baseline").out()).isEqualTo("No baselines: every violating row counts.\n");
  }

  /**
   * An acknowledgement covers what the alert showed when it was taken (newuser24's leftover: an ack
   * taken for one row outside the baseline still read "acknowledged" after a second row broke, and
   * at 3 a.m. the second row looks acknowledged too).
   */
  @Test
  void an_acknowledgement_covers_the_rows_it_saw_and_a_row_broken_after_it_is_not_acknowledged()
      throws Exception {
    cli("check", "--audit", "child.parent");
    cli("baseline", "child.parent", "--by", "alice");
    target.execute("UPDATE child SET parent_id = 9101 WHERE id = 101");
    assertThat(cli("check", "--audit", "child.parent").code()).isEqualTo(1);
    long alertId =
        store.queryLong(
            "SELECT id FROM integrity_auditor.alert WHERE audit_id = 'child.parent'"
                + " AND state = 'open'");
    long ackedRun =
        store.queryLong(
            "SELECT max(id) FROM integrity_auditor.audit_run WHERE audit_id = 'child.parent'");
    assertThat(
            cli("ack", String.valueOf(alertId), "--by", "bob", "--note", "row 101: OPS-7").code())
        .isZero();

    String covered = cli("alerts").out();
    assertThat(covered)
        .contains("acknowledged by bob at ")
        .contains(
            ": row 101: OPS-7\n  the acknowledgement covers run "
                + ackedRun
                + " (41 violating rows, 1 outside the baseline); no row broke since\n");
    assertThat(
            covered
                .lines()
                .filter(l -> l.strip().startsWith(alertId + " "))
                .findFirst()
                .orElseThrow())
        .endsWith(" bob");

    // a second row breaks after the acknowledgement (one the sample of 5 shows)
    long second = newOrphan("ASC");
    target.execute("UPDATE child SET parent_id = 9102 WHERE id = " + second);
    assertThat(cli("check", "--audit", "child.parent").code()).isEqualTo(1);
    String text = cli("alerts").out();
    assertThat(
            text.lines().filter(l -> l.strip().startsWith(alertId + " ")).findFirst().orElseThrow())
        .as("the table does not read as acknowledged")
        .endsWith(" bob, not the 1 row since");
    assertThat(text)
        .contains(
            ": row 101: OPS-7\n  the acknowledgement covers run "
                + ackedRun
                + " (41 violating rows, 1 outside the baseline); NOT ACKNOWLEDGED: 1 row broke"
                + " since (now 42 violating rows, 2 outside the baseline), sample keys (1):"
                + " {id="
                + second
                + ", parent_id=9102}\n");

    JsonNode ack =
        Json.MAPPER
            .readTree(cli("alerts", "--format", "json").out())
            .get("data")
            .get(0)
            .get("acknowledgementCovers");
    assertThat(ack.get("runId").asLong()).isEqualTo(ackedRun);
    assertThat(ack.get("violations").asLong()).isEqualTo(41);
    assertThat(ack.get("outsideBaseline").asLong()).isEqualTo(1);
    assertThat(ack.get("brokeSince").asLong()).isEqualTo(1);
    assertThat(ack.get("keysSince"))
        .extracting(k -> k.get("id").asText())
        .containsExactly(String.valueOf(second));
  }

  /** The id of a child row that, made an orphan, has the smallest or largest fingerprint. */
  private long newOrphan(String order) {
    // the sample rule (docs/audits.md): the child's key is one integer column, so a key's
    // fingerprint is the key itself; below the backlog's (1-40) only a row of its own
    if (order.equals("ASC")) {
      target.execute("INSERT INTO child VALUES (-1, 1) ON CONFLICT DO NOTHING");
      return -1;
    }
    return target.queryLong("SELECT max(id) FROM child");
  }

  @Test
  void
      an_alert_on_rows_outside_the_baseline_says_which_sample_keys_those_are_and_where_the_rest_are()
          throws Exception {
    cli("check", "--audit", "child.parent");
    cli("baseline", "child.parent", "--by", "alice");
    // two new orphans: one the sample shows (the smallest fingerprint of all violating keys), one
    // it cannot (the largest), among the 40 rows of the backlog
    long shown = newOrphan("ASC");
    long hidden = newOrphan("DESC");
    target.execute(
        "UPDATE child SET parent_id = 5000 + id WHERE id IN (" + shown + ", " + hidden + ")");
    assertThat(cli("check", "--audit", "child.parent").code()).isEqualTo(1);

    JsonNode alert =
        Json.MAPPER.readTree(cli("alerts", "--format", "json").out()).get("data").get(0);
    assertThat(alert.get("baselineViolations").asLong()).isEqualTo(40);
    assertThat(alert.get("currentViolations").asLong()).isEqualTo(42);
    assertThat(alert.get("shownOutsideBaseline"))
        .extracting(key -> key.get("id").asText())
        .containsExactly(String.valueOf(shown));
    assertThat(alert.get("shownInBaseline")).hasSize(4);
    alert
        .get("shownInBaseline")
        .forEach(key -> assertThat(key.get("id").asLong()).as("a backlog row").isBetween(1L, 40L));

    String text = cli("alerts").out();
    assertThat(text)
        .contains("baseline (accepted backlog): 40 in it, 2 outside it")
        .contains(
            "outside the baseline: sample keys (1): {id="
                + shown
                + ", parent_id="
                + (5000 + shown)
                + "}\n  4 other sample keys in the baseline\n")
        .contains(
            "1 row outside the baseline is not among the 5 sample keys (a sample is the violating"
                + " keys with the smallest fingerprints, in the baseline or not): `explain"
                + " child.parent` prints the SQL that lists every violating row; with sample_size:"
                + " 42 every violating key is shown")
        .doesNotContain("id=" + hidden + ",");
  }

  @Test
  void check_and_runs_mark_which_sample_keys_are_in_the_baseline_the_way_alerts_does()
      throws Exception {
    cli("check", "--audit", "child.parent");
    assertThat(cli("runs", "child.parent").out())
        .as("no baseline yet: no marks")
        .doesNotContain("the baseline");
    cli("baseline", "child.parent", "--by", "alice");
    long shown = newOrphan("ASC");
    long hidden = newOrphan("DESC");
    target.execute(
        "UPDATE child SET parent_id = 5000 + id WHERE id IN (" + shown + ", " + hidden + ")");
    // newuser22: after a baseline, check and runs listed 5 sample keys without saying which one
    // was the new broken row
    String hint =
        "1 row outside the baseline is not among the 5 sample keys (a sample is the violating"
            + " keys with the smallest fingerprints, in the baseline or not): `explain"
            + " child.parent` prints the SQL that lists every violating row; with sample_size:"
            + " 42 every violating key is shown";
    CliRunner.Outcome check = cli("check", "--audit", "child.parent");
    assertThat(check.code()).isEqualTo(1);
    assertThat(check.out())
        .contains(
            "    id=" + shown + ", parent_id=" + (5000 + shown) + "  (outside the baseline)\n")
        .contains("    " + hint + "\n")
        .doesNotContain("id=" + hidden + ",");
    assertThat(check.out().lines().filter(l -> l.endsWith("  (in the baseline)"))).hasSize(4);

    JsonNode json =
        Json.MAPPER
            .readTree(cli("check", "--audit", "child.parent", "--format", "json").out())
            .get("data")
            .get(0);
    List<Boolean> flags = new java.util.ArrayList<>();
    json.get("sampleInBaseline").forEach(flag -> flags.add(flag.asBoolean()));
    assertThat(flags).hasSize(5).containsOnlyOnce(false);
    assertThat(json.get("samples").get(flags.indexOf(false)).get("id").asText())
        .isEqualTo(String.valueOf(shown));

    String runs = cli("runs", "child.parent").out();
    assertThat(runs)
        .contains(
            "  {id=" + shown + ", parent_id=" + (5000 + shown) + "}  (outside the baseline)\n")
        .contains("  " + hint + "\n");
    assertThat(runs.lines().filter(l -> l.endsWith("}  (in the baseline)"))).hasSize(4);
    JsonNode latest =
        Json.MAPPER.readTree(cli("runs", "child.parent", "--format", "json").out()).get("data");
    assertThat(latest.get(0).get("sampleInBaseline").toString())
        .isEqualTo(json.get("sampleInBaseline").toString());
    assertThat(latest.get(latest.size() - 1).get("sampleInBaseline"))
        .as("the first run, before the baseline")
        .isEmpty();
  }

  @Test
  void a_baseline_needs_a_tracked_run_and_says_what_to_do() {
    CliRunner.Outcome never = cli("baseline", "child.parent", "--by", "alice");
    assertThat(never.code()).isEqualTo(2);
    assertThat(never.out())
        .isEqualTo(
            "no completed run of child.parent is recorded: run it (`check --audit child.parent`"
                + " with a store, or `trigger child.parent`), then accept its keys\n");
    assertThat(cli("baseline", "child.parent").err()).contains("--by is required");

    cli("check");
    CliRunner.Outcome all = cli("baseline", "--all", "--by", "alice");
    assertThat(all.code()).as("--all reports what it could not accept").isZero();
    assertThat(all.out())
        .contains("40 violating rows of child.parent accepted as its baseline")
        .contains(
            "the latest completed run of parent.schema has no key set to accept (its keys are"
                + " not tracked: a kind without keys, or track_keys: 0)");
  }
}
