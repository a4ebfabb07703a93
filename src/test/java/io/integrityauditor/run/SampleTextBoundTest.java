package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.integrityauditor.audit.scan.ViolationScan;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A full run in the rows form sends key texts only for violating rows whose fingerprint lies below
 * a bound sized by the previous completed run's violations; when fewer texted rows arrive than the
 * sample shows, one more statement in the run's snapshot fetches the texts of the smallest
 * fingerprints. Either way the sample is exactly the one a run sending every text shows (issue 13
 * point 1): composite keys whose first column is constant, NULL key columns, counts that shrink and
 * grow a lot, a bound far too tight, no previous run.
 */
class SampleTextBoundTest {
  private static final int SAMPLE_SIZE = 5;

  /** The rows form needs a plan with parallel workers: here on 20,000 rows. */
  private static final String PARALLEL =
      "settings: {parallel_setup_cost: 0, parallel_tuple_cost: 0, min_parallel_table_scan_size: 0,"
          + " max_parallel_workers_per_gather: 2}";

  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;
  ListAppender<ILoggingEvent> logged;
  Logger scanLog;
  Level levelBefore;

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("text_bound_target");
    store = TestPostgres.newDatabase("text_bound_store");
    target.execute(
        """
        CREATE TABLE parent (a int, b text, PRIMARY KEY (a, b));
        INSERT INTO parent SELECT i, 'b' || i FROM generate_series(1, 100) i;
        -- one tenant: the key's first column is constant
        CREATE TABLE child (tenant int, id int, a int, b text, PRIMARY KEY (tenant, id));
        INSERT INTO child SELECT 1, i, 1 + i % 100, 'b' || (1 + i % 100)
          FROM generate_series(1, 20000) i;
        ANALYZE parent; ANALYZE child;
        """);
    breakRows(2000);
    scanLog = (Logger) LoggerFactory.getLogger(ViolationScan.class);
    levelBefore = scanLog.getLevel();
    scanLog.setLevel(Level.DEBUG);
    logged = new ListAppender<>();
    logged.start();
    scanLog.addAppender(logged);
  }

  @AfterEach
  void logs() {
    scanLog.detachAppender(logged);
    scanLog.setLevel(levelBefore);
  }

  /**
   * Rows 1..{@code orphans} violate (all others are fixed): every third one by a NULL in the
   * reference ({@code nulls: violation}), the rest by a missing parent.
   */
  private void breakRows(int orphans) {
    target.execute(
        "UPDATE child SET a = 1 + id % 100, b = 'b' || (1 + id % 100);"
            + "UPDATE child SET a = CASE WHEN id % 3 = 0 THEN a ELSE 5000 + id END,"
            + " b = CASE WHEN id % 3 = 0 THEN NULL ELSE b END WHERE id <= "
            + orphans
            + "; ANALYZE child;");
  }

  private static String audit(String id, String extra) {
    return """
        audits:
          - id: %s
            kind: orphan
            child: {table: child, columns: [a, b]}
            parent: {table: parent, columns: [a, b]}
            nulls: violation
            sample_size: %d
            mode: full
        %s
        """
        .formatted(id, SAMPLE_SIZE, extra.indent(4).stripTrailing());
  }

  private AuditResult run(String id) {
    return Audits.run(dir, target, store, audit(id, PARALLEL)).values().iterator().next();
  }

  /** The same audit, tracking no keys: no previous figure, so every row's texts are sent. */
  private List<Map<String, String>> everyText() {
    AuditResult result =
        Audits.run(dir, target, null, audit("reference", PARALLEL + "\ntrack_keys: 0"))
            .values()
            .iterator()
            .next();
    return Results.samples(result);
  }

  private List<String> messages() {
    List<String> messages = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    logged.list.clear();
    return messages;
  }

  private static boolean bounded(List<String> messages) {
    return messages.stream().anyMatch(m -> m.startsWith("key texts only for fingerprints up to"));
  }

  private static boolean fellBack(List<String> messages) {
    return messages.stream().anyMatch(m -> m.contains("one more statement fetches"));
  }

  @Test
  void without_a_previous_run_every_text_is_sent_and_the_next_run_sends_few_with_the_same_sample() {
    AuditResult first = run("a");
    List<String> firstLog = messages();
    AuditResult second = run("a");
    List<String> secondLog = messages();

    assertThat(bounded(firstLog)).as("first run bounded").isFalse();
    assertThat(bounded(secondLog)).as("second run bounded").isTrue();
    assertThat(fellBack(secondLog)).as("second run fell back").isFalse();
    assertThat(Results.violations(first)).isEqualTo(2000);
    assertThat(Results.violations(second)).isEqualTo(2000);
    assertThat(second.measurement().orElseThrow().rowsChecked()).isEqualTo(20_000);
    List<Map<String, String>> reference = everyText();
    assertThat(reference).hasSize(SAMPLE_SIZE);
    assertThat(Results.samples(first)).isEqualTo(reference);
    assertThat(Results.samples(second)).isEqualTo(reference);
    // a NULL key column among the sample's rows is shown as NULL, not as a missing text
    assertThat(reference.stream().anyMatch(key -> key.get("b") == null))
        .as("the reference sample has a NULL")
        .isTrue();
  }

  @Test
  void a_bound_far_too_tight_takes_the_fallback_and_shows_the_same_sample() {
    run("tight");
    // as if the previous run had found far more violations than there are: next to no row
    // lies below the bound
    store.execute(
        "UPDATE integrity_auditor.audit_latest SET violations = 1000000000000000"
            + " WHERE audit_id = 'tight'");
    messages();

    AuditResult result = run("tight");
    List<String> log = messages();

    assertThat(bounded(log)).isTrue();
    assertThat(fellBack(log)).isTrue();
    assertThat(Results.violations(result)).isEqualTo(2000);
    assertThat(Results.samples(result)).hasSize(SAMPLE_SIZE).isEqualTo(everyText());
    assertThat(Results.violations(run("tight"))).isEqualTo(2000);
  }

  @Test
  void counts_that_shrink_and_grow_a_lot_between_runs_keep_the_exact_sample() {
    run("moving");
    breakRows(4);
    messages();
    AuditResult shrunk = run("moving");
    List<String> shrunkLog = messages();
    List<Map<String, String>> shrunkReference = everyText();
    breakRows(3000);
    messages();
    AuditResult grown = run("moving");
    List<String> grownLog = messages();
    List<Map<String, String>> grownReference = everyText();
    messages();
    AuditResult again = run("moving");
    List<String> againLog = messages();

    // 2,000 -> 4: about 0.6 rows expected below the bound, fewer than the 4 the sample shows
    assertThat(bounded(shrunkLog)).isTrue();
    assertThat(fellBack(shrunkLog)).isTrue();
    assertThat(Results.violations(shrunk)).isEqualTo(4);
    assertThat(Results.samples(shrunk)).hasSize(4).isEqualTo(shrunkReference);
    // 4 -> 3,000: no bound (too few before to size one)
    assertThat(bounded(grownLog)).isFalse();
    assertThat(Results.violations(grown)).isEqualTo(3000);
    assertThat(Results.samples(grown)).hasSize(SAMPLE_SIZE).isEqualTo(grownReference);
    // 3,000 -> 3,000: bounded, no fallback
    assertThat(bounded(againLog)).isTrue();
    assertThat(fellBack(againLog)).isFalse();
    assertThat(Results.samples(again)).isEqualTo(grownReference);
  }

  @Test
  void a_unique_audit_keeps_one_key_per_group_whatever_the_previous_count() {
    target.execute(
        "CREATE TABLE dup (id int PRIMARY KEY, code text);"
            + " INSERT INTO dup SELECT i, 'c' || (i % 9000) FROM generate_series(1, 10000) i;"
            + " ANALYZE dup;");
    String yaml =
        """
        audits:
          - id: u
            kind: unique
            table: dup
            columns: [code]
            sample_size: %d
        %s
        """
            .formatted(SAMPLE_SIZE, PARALLEL.indent(4).stripTrailing());
    AuditResult first = Audits.run(dir, target, store, yaml).get("u");
    store.execute(
        "UPDATE integrity_auditor.audit_latest SET violations = 1000000000000000"
            + " WHERE audit_id = 'u'");
    AuditResult second = Audits.run(dir, target, store, yaml).get("u");

    assertThat(Results.violations(first)).isEqualTo(Results.violations(second)).isPositive();
    assertThat(Results.samples(second)).hasSize(SAMPLE_SIZE).isEqualTo(Results.samples(first));
  }

  /**
   * An integer key's full run sends the violating keys alone (two columns: the count and the key,
   * no texts) and reads the sample's rows by their keys afterwards. A key of bigint's minimum is at
   * most any bound and comes without texts all the same: it is shown with its own columns, also
   * when it is the only violating row (taken as texted, it would be shown as a key of NULLs).
   */
  @Test
  void an_integer_key_sends_its_keys_alone_and_shows_its_smallest_keys_with_their_columns() {
    target.execute(
        """
        CREATE TABLE item (id bigint PRIMARY KEY, a int, b text);
        INSERT INTO item SELECT i, 1 + i % 100, 'b' || (1 + i % 100)
          FROM generate_series(1, 20000) i;
        INSERT INTO item VALUES (-9223372036854775808, 7777, 'min');
        UPDATE item SET a = 5000 + id WHERE id BETWEEN 1 AND 10;
        ANALYZE item;
        """);
    String yaml =
        """
        audits:
          - id: i
            kind: orphan
            child: {table: item, columns: [a, b]}
            parent: {table: parent, columns: [a, b]}
            sample_size: %d
            mode: full
        %s
        """
            .formatted(SAMPLE_SIZE, PARALLEL.indent(4).stripTrailing());
    AuditResult first = Audits.run(dir, target, store, yaml).get("i");
    AuditResult second = Audits.run(dir, target, store, yaml).get("i");

    for (AuditResult result : List.of(first, second)) {
      assertThat(Results.violations(result)).isEqualTo(11);
      assertThat(result.measurement().orElseThrow().rowsChecked()).isEqualTo(20_001);
      List<Map<String, String>> sample = Results.samples(result);
      assertThat(sample)
          .extracting(key -> key.get("id"))
          .containsExactly("-9223372036854775808", "1", "2", "3", "4");
      assertThat(sample.get(0)).containsEntry("a", "7777").containsEntry("b", "min");
      assertThat(sample.get(1)).containsEntry("a", "5001").containsEntry("b", "b2");
    }
    // the minimum alone violates: the one row the sample shows arrives without texts, and the
    // run still shows its columns (read by its key), not a key of NULLs
    target.execute("UPDATE item SET a = 1 + id % 100 WHERE id BETWEEN 1 AND 10; ANALYZE item;");
    AuditResult alone = Audits.run(dir, target, store, yaml).get("i");
    assertThat(Results.violations(alone)).isEqualTo(1);
    assertThat(Results.samples(alone))
        .singleElement()
        .satisfies(
            key ->
                assertThat(key)
                    .containsEntry("id", "-9223372036854775808")
                    .containsEntry("a", "7777")
                    .containsEntry("b", "min"));
  }

  @Test
  void the_bound_leaves_about_sixty_four_rows_per_sample_key_below_it() {
    assertThat(ViolationScan.textBound(0, 20)).isEqualTo(Long.MAX_VALUE);
    assertThat(ViolationScan.textBound(2560, 20))
        .as("at most twice the rows")
        .isEqualTo(Long.MAX_VALUE);
    long bound = ViolationScan.textBound(1_000_000, 20);
    // 1,280 of 1,000,000: a share 0.00128 of the 64-bit range above Long.MIN_VALUE
    double share = ((double) bound - Long.MIN_VALUE) / 0x1p64;
    assertThat(share).isBetween(0.00127, 0.00129);
    assertThat(ViolationScan.textBound(10_000_000, 20)).isLessThan(bound);
    assertThat(ViolationScan.textBound(Long.MAX_VALUE, 20)).isGreaterThanOrEqualTo(Long.MIN_VALUE);
  }
}
