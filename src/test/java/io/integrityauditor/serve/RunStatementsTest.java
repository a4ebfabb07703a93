package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one run of a fleet's small audit costs the store, counted by the store itself
 * (pg_stat_statements on a store server of its own): the same statements per run whatever the
 * number of tenants and audits, and no more than the run needs (issue 18: a full cycle of 10,000
 * runs is bounded by this per-run work).
 */
class RunStatementsTest {
  static final Instant FIRST = Instant.parse("2026-12-05T09:00:00Z");
  static final Instant SECOND = Instant.parse("2026-12-05T10:00:00Z");

  private static EmbeddedPostgres counting;

  @TempDir Path dir;

  @BeforeAll
  static void startCountingStore() throws IOException {
    counting =
        TestPostgres.dedicated(
            Map.of(
                "shared_preload_libraries", "pg_stat_statements",
                "pg_stat_statements.track_utility", "on"));
  }

  @AfterAll
  static void stopCountingStore() throws IOException {
    counting.close();
  }

  /** Statements run for {@code runs} runs on the store and on the tenants' server, by text. */
  private record PerRun(int runs, Map<String, Long> store, Map<String, Long> tenants) {
    /** The statements run at least once per run, with how many times per run. */
    Map<String, Long> perRun(Map<String, Long> calls) {
      Map<String, Long> perRun = new TreeMap<>();
      calls.forEach(
          (query, count) -> {
            if (count >= runs) {
              assertThat(count % runs).as("calls of %s in %d runs", query, runs).isZero();
              perRun.put(query, count / runs);
            }
          });
      return perRun;
    }

    /** The statements run fewer times than there were runs. */
    List<String> notPerRun() {
      return Stream.concat(store.entrySet().stream(), tenants.entrySet().stream())
          .filter(entry -> entry.getValue() < runs)
          .map(Map.Entry::getKey)
          .toList();
    }
  }

  @Test
  void a_run_costs_the_store_the_same_statements_whatever_the_size_of_the_fleet() throws Exception {
    PerRun small = runTwice("small", 2, 2);
    PerRun large = runTwice("large", 6, 3);

    System.out.println("per run, store: " + small.perRun(small.store()));
    System.out.println("per run, tenants: " + small.perRun(small.tenants()));
    assertThat(small.runs()).isEqualTo(4);
    assertThat(large.runs()).isEqualTo(18);
    // the same statements, as many times each, for every run of either fleet
    assertThat(large.perRun(large.store())).isEqualTo(small.perRun(small.store()));
    assertThat(large.perRun(large.tenants())).isEqualTo(small.perRun(small.tenants()));
    // 32 on the store (37, then 34 before: the watermark is read for incremental runs only, one
    // look for the key set and the run it compares with), in 2
    // transactions (3 before: a transaction to look for abandoned runs); 7 on the tenants' server
    // (14 before: a look for queries left by a lost node, in a transaction of its own, before
    // every run; 11 before: the transaction's limits in one statement, the session's reset in the
    // run's transaction)
    // 30 (32 before V12): the key merge reads the worker's sorted run instead of having the store
    // sort the keys (no work_mem setting, no look for weights of its own: one query says it all)
    // 27 (30 before the seventh session): an alert's sample keys in one statement (two here), the
    // breach written once when the keys' history decides as the count did
    // 28 (27 before V18): one look at the audit's previous runs per run, the kept key set's
    // scheme with the previous run's violations (the statement fingerprints its keys in the kept
    // set's scheme); the schemes of the run's own keys come with the look for its key set
    // 25 (28 before the tenth session's incr25): the alert's look, update and sample keys in one
    // statement, sent in the batch that ends the run's transaction; the look for runs a stopped
    // node left and the run's row in one statement
    assertThat(total(small.perRun(small.store()))).isEqualTo(25);
    assertThat(small.perRun(small.store())).containsEntry("BEGIN", 2L);
    // 8 on the tenants' server (7 before the seventh session's scan22: a full run is REPEATABLE
    // READ, set in a statement of its own before the transaction's first snapshot, so that a
    // statement sending key texts below a bound can fetch the sample's texts in its snapshot)
    assertThat(total(small.perRun(small.tenants()))).isEqualTo(8);
    assertThat(small.perRun(small.tenants())).containsEntry("BEGIN READ ONLY", 1L);
    assertThat(small.tenants().keySet()).noneMatch(query -> query.contains("pg_stat_activity"));
    // beyond them, nothing (what comes with time, not runs, is left out: notTheRuns)
    for (PerRun fleet : List.of(small, large)) {
      assertThat(fleet.notPerRun()).as("statements not sent once per run").isEmpty();
    }
  }

  /**
   * An incremental run's fixed cost (issue 13 point 4: after 10,000 new rows it is mostly per-run
   * work, not rows): the statements one run sends to the store and to the audited database, the
   * same for every increment, each counted.
   */
  @Test
  void an_incremental_run_costs_a_fixed_number_of_statements() throws Exception {
    TestPostgres.Database target = newCountedDatabase("incremental_target");
    target.execute(
        "CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p SELECT generate_series(1, 100);"
            + " CREATE TABLE c (id bigint PRIMARY KEY, p_id int);"
            + " INSERT INTO c SELECT i, CASE WHEN i % 10 = 0 THEN 1000 + i ELSE 1 + i % 100 END"
            + " FROM generate_series(1, 1000) i;");
    TestPostgres.Database store = newCountedDatabase("incremental_store");
    Workspace workspace = new Workspace(dir.resolve("incremental"));
    workspace.write(
        "audits/c.yaml",
        """
        audits:
          - id: c.p
            target: app
            kind: orphan
            child: c.p_id
            parent: p.id
            mode: incremental
            watermark: id
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "node_id: statements\nstore:\n  url: "
                + store.url()
                + "\n  user: postgres\ntargets:\n  app:\n    url: "
                + target.url()
                + "\n    user: postgres\naudits:\n  - audits/*.yaml\n");
    int runs = 3;
    try (Auditor auditor = Auditor.open(workspace.load(config), Clock.systemUTC())) {
      AuditSet set = auditor.loadAudits();
      assertThat(set.problems()).isEmpty();
      BoundAudit audit = auditor.bind(set.audits()).bound().get(0);
      // the full sweep, then a first increment (its statements are prepared and cached)
      Instant fireTime = FIRST;
      long violations = 100;
      for (int run = -2; run < runs; run++) {
        if (run == 0) {
          store.execute("SELECT pg_stat_statements_reset()");
        }
        if (run > -2) {
          // 10 new rows, one of them an orphan
          long from = 1001 + (run + 1) * 10L;
          target.execute(
              "INSERT INTO c SELECT i, CASE WHEN i % 10 = 0 THEN 1000 + i ELSE 1 END"
                  + " FROM generate_series("
                  + from
                  + ", "
                  + (from + 9)
                  + ") i");
          violations++;
        }
        fireTime = fireTime.plusSeconds(60);
        AuditResult result = auditor.run(audit, RunTrigger.SCHEDULE, fireTime, false).orElseThrow();
        assertThat(result.measurement().orElseThrow().violations()).isEqualTo(violations);
        assertThat(result.info().mode().label()).isEqualTo(run == -2 ? "full" : "incremental");
      }
      Map<String, Long> storeCalls = statements(store);
      Map<String, Long> targetCalls = statements(target);
      PerRun counted = new PerRun(runs, storeCalls, targetCalls);
      Map<String, Long> onStore = counted.perRun(counted.store());
      Map<String, Long> onTarget = new TreeMap<>(counted.perRun(counted.tenants()));
      onTarget.keySet().removeIf(query -> query.startsWith("INSERT INTO c ")); // the test's own
      System.out.println("incremental run, store: " + onStore);
      System.out.println("incremental run, target: " + onTarget);
      // every new key checked against the previous run's key set: exactly one new each run
      assertThat(
              store.queryLong(
                  "SELECT new_violations FROM integrity_auditor.audit_run ORDER BY id DESC"
                      + " LIMIT 1"))
          .isEqualTo(1);
      assertThat(onStore).containsEntry("BEGIN", 2L);
      assertThat(total(onStore)).isEqualTo(INCREMENTAL_STORE_STATEMENTS);
      assertThat(total(onTarget)).isEqualTo(INCREMENTAL_TARGET_STATEMENTS);
    }
  }

  /** Statements of one incremental run on the store (see the test above). */
  // 27 (32 before the tenth session's incr25): the alert's look, update and sample keys in one
  // statement (in the last batch); the run the increment carries from read in the key set's first
  // statement rather than in one of its own; the look for runs a stopped node left and the run's
  // row in one statement; the watermark read with the look at the previous runs
  // 32 (30 before V18): the look at the previous runs (the kept set's scheme) as in a full run,
  // and the kept set's array adopted unchanged (one UPDATE): the child's key is one integer
  // column, so the increment's new key is larger than every kept one and lands after the kept
  // array, where a text hash put it inside it (the array written again)
  // 30 (51 until the seventh session): the alert's 20 sample keys in one statement instead of 20,
  // and the breach not written again (run and latest) when the keys' history decides as the count
  // did. 51 (54 until 2026-12-05's sixth session, 55 before V12): the increment merged alone with
  // the kept set, which is the carried run's (no copy of the carried parts, no separate lookup
  // of the run compared with, no read of the marker's empty array)
  static final long INCREMENTAL_STORE_STATEMENTS = 27;

  /** ... and on the audited database. */
  static final long INCREMENTAL_TARGET_STATEMENTS = 6;

  private static long total(Map<String, Long> perRun) {
    return perRun.values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * A fleet of {@code tenants} schemas and {@code audits} audits on their template, every member
   * run once (its first run), then once more with the store's statements counted.
   */
  private PerRun runTwice(String name, int tenants, int audits) throws Exception {
    TestPostgres.Database fleet = newCountedDatabase("fleet_" + name);
    StringBuilder schema = new StringBuilder();
    for (int t = 0; t < tenants; t++) {
      schema.append(
          ("CREATE SCHEMA t_%1$d; CREATE TABLE t_%1$d.p (id int PRIMARY KEY);"
                  + " CREATE TABLE t_%1$d.c (id int PRIMARY KEY, p_id int);"
                  + " INSERT INTO t_%1$d.p SELECT generate_series(1, 10);"
                  + " INSERT INTO t_%1$d.c SELECT i, i FROM generate_series(1, 12) i;")
              .formatted(t));
    }
    fleet.execute(schema.toString());
    TestPostgres.Database store = newCountedDatabase("store_" + name);

    Workspace workspace = new Workspace(dir.resolve(name));
    StringBuilder auditYaml = new StringBuilder("defaults:\n  target: fleet\naudits:\n");
    for (int a = 0; a < audits; a++) {
      auditYaml.append(
          "  - id: c.p_%d\n    kind: orphan\n    child: c.p_id\n    parent: p.id\n".formatted(a));
    }
    workspace.write("audits/fleet.yaml", auditYaml.toString());
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "node_id: statements\nstore:\n  url: "
                + store.url()
                + "\n  user: postgres\ntargets:\n  fleet:\n    url: "
                + fleet.url()
                + "\n    user: postgres\n    schemas: \"t_*\"\naudits:\n  - audits/*.yaml\n");
    try (Auditor auditor = Auditor.open(workspace.load(config), Clock.systemUTC())) {
      AuditSet set = auditor.loadAudits();
      assertThat(set.problems()).isEmpty();
      List<BoundAudit> bound = auditor.bind(set.audits()).bound();
      assertThat(bound).hasSize(tenants * audits);
      runAll(auditor, bound, FIRST);
      store.execute("SELECT pg_stat_statements_reset()");
      runAll(auditor, bound, SECOND);
      return new PerRun(bound.size(), statements(store), statements(fleet));
    }
  }

  /** A new database on the counting server, its statements counted. */
  private static TestPostgres.Database newCountedDatabase(String name) throws SQLException {
    try (Connection connection = counting.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    TestPostgres.Database database = new TestPostgres.Database(name, counting);
    database.execute("CREATE EXTENSION pg_stat_statements");
    return database;
  }

  /** Calls of each statement run on {@code database} since the last reset, by statement text. */
  private static Map<String, Long> statements(TestPostgres.Database database) throws SQLException {
    Map<String, Long> calls = new TreeMap<>();
    try (Connection connection = database.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM"
                    + " pg_database WHERE datname = current_database())"
                    + " AND query NOT LIKE '%pg_stat_statements%'")) {
      while (rows.next()) {
        calls.merge(normalized(rows.getString(1)), rows.getLong(2), Long::sum);
      }
    }
    calls.keySet().removeIf(RunStatementsTest::notTheRuns);
    return calls;
  }

  /**
   * Statements that come with time, not with runs: opening a session (the pools open them as they
   * please), the connection budget's look for a node waiting for a place (at most once a second,
   * and only while idle connections exist) and a place given back when an idle connection closes.
   * Counted with the runs, they made the totals depend on the machine's speed (one more statement
   * in a slow run at load 30-60).
   */
  private static boolean notTheRuns(String query) {
    return query.startsWith("SET application_name")
        || query.contains("pg_locks")
        || query.startsWith("SELECT pg_advisory_unlock(?");
  }

  /**
   * A statement's text with its constants as {@code ?}: pg_stat_statements keeps the text of a
   * statement's first execution in each database, with its bind parameters or its literals.
   */
  static String normalized(String query) {
    if (query.startsWith("COPY (")) {
      return "COPY (an audit's statement) TO STDOUT"; // not parameterized: its text is the audit's
    }
    return query
        .replaceAll("\\s+", " ")
        .replaceAll("IN \\([^)]*\\)", "IN (?)")
        .replaceAll("\\$\\d+|'[^']*'|\\b(true|false|\\d+)\\b", "?");
  }

  private static void runAll(Auditor auditor, List<BoundAudit> bound, Instant fireTime)
      throws SQLException {
    Map<String, AuditResult> results = new LinkedHashMap<>();
    for (BoundAudit audit : bound) {
      auditor
          .run(audit, RunTrigger.SCHEDULE, fireTime, false)
          .ifPresent(result -> results.put(audit.audit().id(), result));
    }
    assertThat(results).hasSize(bound.size());
    results
        .values()
        .forEach(
            result -> assertThat(result.measurement().orElseThrow().violations()).isEqualTo(2));
  }
}
