package io.integrityauditor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hundreds of malformed and hostile configuration files: every one is refused with a clear error
 * naming the file and line, no stack trace, and no SQL run against the audited tables.
 */
class ConfigFuzzTest {
  static TestPostgres.Database target;

  @TempDir Path dir;

  static final String VALID_AUDIT =
      """
          - id: child.parent
            kind: orphan
            child: child.parent_id
            parent: parent.id
      """;

  @BeforeAll
  static void schema() {
    target = TestPostgres.newDatabase("fuzz_target");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY, status text);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int, note text);
        CREATE TABLE canary (id int PRIMARY KEY);
        INSERT INTO parent VALUES (1, 'ACTIVE'); INSERT INTO child VALUES (1, 1, 'x');
        INSERT INTO canary SELECT generate_series(1, 42);
        """);
  }

  /** Malformed or hostile audit files, each named for the report. */
  static Map<String, String> auditCases() {
    Map<String, String> cases = new LinkedHashMap<>();
    String head = "audits:\n";
    // YAML that does not parse, or parses into the wrong shape
    cases.put("unclosed flow list", head + "  - id: a\n    kind: [orphan\n");
    cases.put("unterminated quote", head + "  - id: \"a\n    kind: orphan\n");
    cases.put("tab indentation", head + "\t- id: a\n");
    cases.put("bad indentation", head + "  - id: a\n      kind: orphan\n    child: x\n");
    cases.put("stray colon", head + "  - id: a\n    kind: : orphan\n");
    cases.put("two documents", head + VALID_AUDIT + "---\n" + head + VALID_AUDIT);
    cases.put("duplicate key", head + "  - id: a\n    id: b\n    kind: orphan\n");
    cases.put("empty file", "");
    cases.put("only a comment", "# nothing here\n");
    cases.put("root is a list", "- audits\n");
    cases.put("root is a scalar", "hello\n");
    cases.put("audits is a map", "audits:\n  id: a\n");
    cases.put("audits is a scalar", "audits: everything\n");
    cases.put("audit is a scalar", head + "  - just-a-string\n");
    cases.put("audit is a list", head + "  - [a, b]\n");
    cases.put("deep nesting", head + "  - id: a\n    kind: " + "[".repeat(2000) + "\n");
    cases.put(
        "alias bomb",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d]\naudits: []\n");
    cases.put("control characters", head + "  - id: a\u0007\n    kind: orphan\n");
    cases.put("unknown top-level key", "audit:\n" + VALID_AUDIT);
    // missing required keys
    for (String key : List.of("id", "kind", "child", "parent")) {
      cases.put(
          "missing " + key,
          head
              + VALID_AUDIT
                  .replaceAll("(?m)^      " + key + ":.*\\n", "")
                  .replaceAll("(?m)^    - " + key + ":.*\\n", "    - description: x\n"));
    }
    // wrong types and out-of-range values
    Map<String, String> wrong = new LinkedHashMap<>();
    wrong.put("id as list", "id: [a, b]");
    wrong.put("kind as map", "kind: {orphan: true}");
    wrong.put("kind unknown", "kind: orphans");
    wrong.put("timeout word", "timeout: soon");
    wrong.put("timeout list", "timeout: [1, 2]");
    wrong.put("timeout negative", "timeout: -5s");
    wrong.put("timeout huge", "timeout: 999999h");
    wrong.put("lock_timeout zero", "lock_timeout: 0s");
    wrong.put("sample_size word", "sample_size: many");
    wrong.put("sample_size huge", "sample_size: 1000000000000");
    wrong.put("sample_size decimal", "sample_size: 2.5");
    wrong.put("severity unknown", "severity: fatal");
    wrong.put("threshold ratio above 1", "threshold: {max_ratio: 5}");
    wrong.put("threshold negative", "threshold: {max_violations: -1}");
    wrong.put("threshold unknown key", "threshold: {max: 3}");
    wrong.put("threshold scalar", "threshold: 3");
    wrong.put("schedule macro", "schedule: '@yesterday'");
    wrong.put("schedule cron fields", "schedule: '0 3 * *'");
    wrong.put("schedule cron range", "schedule: '0 99 * * *'");
    wrong.put("timezone unknown", "timezone: Mars/Olympus_Mons");
    wrong.put("target unknown", "target: production");
    wrong.put("nulls unknown", "nulls: maybe");
    wrong.put("compare_as unknown", "compare_as: bytes");
    wrong.put("description huge", "description: " + "x".repeat(70_000));
    wrong.put("id with slash", "id: a/b");
    wrong.put("id with quote", "id: \"a'b\"");
    wrong.put("id too long", "id: " + "a".repeat(101));
    for (Map.Entry<String, String> entry : wrong.entrySet()) {
      String line = entry.getValue();
      String key = line.substring(0, line.indexOf(':'));
      String audit =
          key.equals("id")
              ? VALID_AUDIT.replaceFirst("- id: child.parent", "- " + line)
              : VALID_AUDIT + "      " + line + "\n";
      cases.put(entry.getKey(), head + audit);
    }
    // misspelt keys (deterministic pseudo-random typos of real keys)
    Random random = new Random(20261123);
    List<String> keys =
        List.of(
            "description",
            "schedule",
            "timezone",
            "timeout",
            "lock_timeout",
            "sample_size",
            "severity",
            "threshold",
            "target",
            "nulls");
    for (int i = 0; i < 60; i++) {
      String key = keys.get(random.nextInt(keys.size()));
      StringBuilder typo = new StringBuilder(key);
      int at = random.nextInt(typo.length());
      switch (random.nextInt(3)) {
        case 0 -> typo.deleteCharAt(at);
        case 1 -> typo.insert(at, (char) ('a' + random.nextInt(26)));
        default -> typo.setCharAt(at, (char) ('a' + random.nextInt(26)));
      }
      if (!typo.toString().equals(key)) {
        cases.put("typo " + i + " " + typo, head + VALID_AUDIT + "      " + typo + ": x\n");
      }
    }
    // duplicate ids, within a file
    cases.put("duplicate id", head + VALID_AUDIT + VALID_AUDIT);
    // hostile and impossible identifiers: never SQL, always a catalog miss or a name error
    List<String> hostile =
        List.of(
            "parent\"; DROP TABLE canary; --",
            "parent'; DROP TABLE canary; --",
            "parent; DELETE FROM canary",
            "\"parent\"\"x\".id",
            "pg_catalog.pg_authid",
            "a".repeat(64),
            "é".repeat(40),
            "表",
            "parent\u0000",
            "",
            "\"\"",
            "a.b.c.d",
            "\"unterminated",
            "parent)",
            "1=1",
            "$1",
            "parent/**/",
            "information_schema.tables",
            "Parent\u200Bx",
            "x\ny");
    int n = 0;
    for (String name : hostile) {
      String quoted = "'" + name.replace("'", "''").replace("\n", "\\n") + "'";
      cases.put(
          "hostile table " + n,
          head
              + VALID_AUDIT.replace(
                  "parent: parent.id", "parent: {table: " + quoted + ", column: id}"));
      cases.put(
          "hostile column " + n,
          head
              + VALID_AUDIT.replace(
                  "child: child.parent_id", "child: {table: child, column: " + quoted + "}"));
      cases.put(
          "hostile filter column " + n,
          head
              + VALID_AUDIT.replace(
                  "parent: parent.id",
                  "parent: {table: parent, column: id, where: {" + quoted + ": x}}"));
      n++;
    }
    // filters with the wrong shape or operator
    cases.put(
        "filter operator unknown",
        head
            + VALID_AUDIT.replace(
                "parent: parent.id",
                "parent: {table: parent, column: id, where: {status: {drop: x}}}"));
    cases.put(
        "filter in with scalar",
        head
            + VALID_AUDIT.replace(
                "parent: parent.id",
                "parent: {table: parent, column: id, where: {status: {in: x}}}"));
    cases.put(
        "filter empty list",
        head
            + VALID_AUDIT.replace(
                "parent: parent.id", "parent: {table: parent, column: id, where: {status: []}}"));
    cases.put(
        "filter nested list",
        head
            + VALID_AUDIT.replace(
                "parent: parent.id",
                "parent: {table: parent, column: id, where: {status: [[a]]}}"));
    cases.put(
        "filter value not an int",
        head
            + VALID_AUDIT.replace(
                "parent: parent.id",
                "parent: {table: parent, column: id, where: {id: \"1; DROP TABLE canary\"}}"));
    cases.put(
        "filter like on int",
        head
            + VALID_AUDIT.replace(
                "parent: parent.id",
                "parent: {table: parent, column: id, where: {id: {like: '%'}}}"));
    cases.put(
        "column count mismatch",
        head
            + VALID_AUDIT.replace(
                "child: child.parent_id", "child: {table: child, columns: [parent_id, note]}"));
    cases.put(
        "column and columns",
        head
            + VALID_AUDIT.replace(
                "child: child.parent_id",
                "child: {table: child, column: parent_id, columns: [note]}"));
    cases.put(
        "type mismatch as text",
        head
            + VALID_AUDIT
                .replace("child: child.parent_id", "child: child.note")
                .replace("nulls", "x")
            + "      compare_as: binary\n");
    // a sql audit that is not a single SELECT
    cases.put(
        "sql writes",
        head + "  - {id: w, kind: sql, sql: 'DELETE FROM canary', key_columns: [id]}\n");
    cases.put(
        "sql two statements",
        head
            + "  - {id: w, kind: sql, sql: 'SELECT id FROM canary; DROP TABLE canary', key_columns: [id]}\n");
    cases.put(
        "sql ddl", head + "  - {id: w, kind: sql, sql: 'DROP TABLE canary', key_columns: [id]}\n");
    cases.put(
        "sql unknown key column",
        head + "  - {id: w, kind: sql, sql: 'SELECT id FROM canary', key_columns: [nope]}\n");
    cases.putAll(hostileInputCases());
    return cases;
  }

  /** Issue 21 point 7: each was accepted, trimmed, ignored or answered with a stack trace. */
  static Map<String, String> hostileInputCases() {
    Map<String, String> cases = new LinkedHashMap<>();
    String head = "audits:\n";
    cases.put(
        "sql data-modifying with",
        head
            + "  - {id: w, kind: sql, sql: 'WITH d AS (DELETE FROM canary RETURNING id) SELECT id"
            + " FROM d', key_columns: [id]}\n");
    cases.put(
        "yaml tag java class",
        head + VALID_AUDIT.replace("kind: orphan", "kind: !!java.lang.Runtime orphan"));
    cases.put("yaml tag local", head + VALID_AUDIT.replace("kind: orphan", "kind: !exec orphan"));
    cases.put(
        "yaml tag on a mapping",
        head + VALID_AUDIT.replace("child: child.parent_id", "child: !!map {table: child}"));
    cases.put(
        "nul after a table name",
        head + VALID_AUDIT.replace("child: child.parent_id", "child: \"child\\0.parent_id\""));
    cases.put(
        "escape sequence in a description",
        head + VALID_AUDIT + "      description: \"\\e[2J\\e[31mall clear\"\n");
    cases.put("control character in a key", head + VALID_AUDIT + "      \"descr\\x07iption\": x\n");
    cases.put(
        "unknown time zone",
        head + VALID_AUDIT + "      schedule: '@daily'\n      timezone: Mars/Olympus\n");
    return cases;
  }

  /** Malformed worker configuration files. */
  static Map<String, String> workerCases(String url) {
    Map<String, String> cases = new LinkedHashMap<>();
    String target = "targets:\n  app:\n    url: " + url + "\n";
    cases.put("no targets", "audits: [audits/*.yaml]\n");
    cases.put("targets a list", "targets: [a, b]\n");
    cases.put("target name upper", "targets:\n  App:\n    url: " + url + "\n");
    cases.put("target name injection", "targets:\n  \"a; DROP\":\n    url: " + url + "\n");
    cases.put("url not jdbc", "targets:\n  app:\n    url: postgres://x/y\n");
    cases.put("url mysql", "targets:\n  app:\n    url: jdbc:mysql://x/y\n");
    cases.put("url missing", "targets:\n  app:\n    user: x\n");
    cases.put("password literal", target + "    password: hunter2\n");
    cases.put("password env and file", target + "    password_env: A\n    password_file: b\n");
    cases.put("password env unset", target + "    password_env: SURELY_NOT_SET_12345\n");
    cases.put("password file missing", target + "    password_file: /nonexistent/pw\n");
    cases.put("pool size zero", target + "    pool_size: 0\n");
    cases.put("pool size word", target + "    pool_size: lots\n");
    cases.put("max concurrent huge", target + "    max_concurrent_audits: 100000\n");
    cases.put("connect timeout tiny", target + "    connect_timeout: 1ms\n");
    cases.put("unknown target key", target + "    hots: x\n");
    cases.put("unknown top key", target + "stores: {}\n");
    cases.put("store unknown key", target + "store: {url: " + url + ", users: x}\n");
    cases.put("store url bad", target + "store: {url: nope}\n");
    cases.put("audits matches nothing", target + "audits: [nothing/*.yaml]\n");
    cases.put("audits a map", target + "audits: {a: b}\n");
    cases.put("http port high", target + "http: {port: 70000}\n");
    cases.put("http token literal", target + "http: {token: secret}\n");
    cases.put("http read_only word", target + "http: {read_only: perhaps}\n");
    cases.put("scheduler threads zero", target + "scheduler: {threads: 0}\n");
    cases.put("scheduler checkin word", target + "scheduler: {checkin_interval: often}\n");
    cases.put(
        "scheduler override bad",
        target + "scheduler: {override_schedule: 5}\n".replace("5", "'@sometimes'"));
    cases.put("retention tiny", target + "retention: {runs: 1s}\n");
    cases.put("retry attempts zero", target + "retry: {attempts: 0}\n");
    cases.put("retry unknown", target + "retry: {tries: 3}\n");
    cases.put("yaml broken", "targets:\n  app: [\n");
    cases.put("duplicate target", target + "  app:\n    url: " + url + "\n");
    return cases;
  }

  private static final Pattern LOCATED = Pattern.compile("^(/|[A-Za-z]:|[^:\\s]+/).*?:(\\d+): .+");

  @Test
  void every_malformed_or_hostile_file_gets_a_located_error_and_no_sql_runs() throws Exception {
    Workspace workspace = new Workspace(dir);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: "
                + target.url()
                + "\n    user: postgres\naudits: [audits/*.yaml]\n");
    long scansBefore = scans();
    Map<String, String> cases = auditCases();
    int tried = 0;
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, String> fuzz : cases.entrySet()) {
      Path file = dir.resolve("audits/fuzz.yaml");
      Files.createDirectories(file.getParent());
      Files.writeString(file, fuzz.getValue(), StandardCharsets.UTF_8);
      check(
          fuzz.getKey(),
          CliRunner.execute("validate", "--config", config.toString()),
          file,
          failures);
      tried++;
    }
    // bytes that are not UTF-8 at all
    Files.write(dir.resolve("audits/fuzz.yaml"), new byte[] {(byte) 0xC3, 0x28, 0x0A, (byte) 0xFF});
    check(
        "not utf-8",
        CliRunner.execute("validate", "--config", config.toString()),
        dir.resolve("audits/fuzz.yaml"),
        failures);
    tried++;
    Files.delete(dir.resolve("audits/fuzz.yaml"));
    Files.writeString(dir.resolve("audits/ok.yaml"), "audits:\n" + VALID_AUDIT);
    for (Map.Entry<String, String> fuzz : workerCases(target.url()).entrySet()) {
      Path file = workspace.write("fuzz-worker.yaml", fuzz.getValue());
      check(
          fuzz.getKey(),
          CliRunner.execute("validate", "--config", file.toString()),
          file,
          failures);
      tried++;
    }
    System.out.println("config fuzzing: " + tried + " malformed or hostile files tried");
    assertThat(failures).as("cases without a clean, located error").isEmpty();
    assertThat(tried).isGreaterThanOrEqualTo(200);
    assertThat(scans()).as("scans of the audited tables").isEqualTo(scansBefore);
    assertThat(target.queryLong("SELECT count(*) FROM canary")).isEqualTo(42);
  }

  /** Sequential and index scans of the user tables: validation must cause none. */
  private static long scans() {
    target.execute("SELECT pg_stat_clear_snapshot()");
    return target.queryLong(
        "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables"
            + " WHERE relname IN ('parent', 'child', 'canary')");
  }

  private static void check(
      String name, CliRunner.Outcome outcome, Path file, List<String> failures) {
    String err = outcome.err();
    String all = outcome.out() + err;
    if (outcome.code() != 2) {
      failures.add(name + ": exit " + outcome.code() + "\n" + all);
      return;
    }
    if (all.contains("Exception") || all.contains("\tat ")) {
      failures.add(name + ": stack trace or exception text\n" + all);
      return;
    }
    List<String> problems =
        err.lines()
            .filter(
                l -> !l.isBlank() && !l.matches("\\d+ configuration problems?; nothing was run\\."))
            .toList();
    if (problems.isEmpty()) {
      failures.add(name + ": no problem reported\n" + all);
      return;
    }
    for (String line : problems) {
      if (!line.startsWith(file.toString() + ":") || !LOCATED.matcher(line).matches()) {
        failures.add(name + ": not located in " + file.getFileName() + ": " + line);
        return;
      }
    }
  }

  @Test
  void in_serve_mode_a_broken_file_does_not_stop_the_audits_of_the_others() throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("fuzz_store");
    Workspace workspace = new Workspace(dir);
    workspace.write("token", "fuzz-token-1234");
    workspace.write("audits/good.yaml", "audits:\n" + VALID_AUDIT);
    workspace.write(
        "audits/broken.yaml",
        auditCases().get("hostile table 0").replace("child.parent", "broken.one")
            + VALID_AUDIT); // and a duplicate of the good audit's id
    workspace.write("audits/good.yaml", "audits:\n" + VALID_AUDIT);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "store: {url: \"%s\", user: postgres}\ntargets:\n  app: {url: \"%s\", user: postgres}\nhttp: {enabled: false}\n"
                .formatted(store.url(), target.url()));
    try (Worker worker = Worker.start(workspace.load(config), Clock.systemUTC())) {
      assertThat(worker.audits().activeAudits()).containsOnlyKeys("child.parent");
      assertThat(worker.audits().lastReload().orElseThrow().problems())
          .allSatisfy(p -> assertThat(p.format()).contains("broken.yaml:"))
          .hasSize(2);
    }
    assertThat(target.queryLong("SELECT count(*) FROM canary")).isEqualTo(42);
  }

  @Test
  void hostile_inputs_of_issue_21_get_their_exact_located_message_and_no_stack_trace() {
    Workspace workspace = new Workspace(dir);
    Path config = workspace.config(target, null);
    Path file = dir.resolve("audits/a.yaml");
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    root.addAppender(logged);
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put(
        "sql data-modifying with",
        ":2: audit 'w': key 'sql': the query does not run on target app: ERROR: WITH clause"
            + " containing a data-modifying statement must be at the top level (it was parsed"
            + " only, not executed)");
    expected.put(
        "yaml tag java class",
        ":3: YAML tags are not supported (found '!!java.lang.Runtime'); remove the tag, and quote"
            + " the value if it must stay text");
    expected.put(
        "yaml tag local",
        ":3: YAML tags are not supported (found '!exec'); remove the tag, and quote the value if"
            + " it must stay text");
    expected.put(
        "yaml tag on a mapping",
        ":4: YAML tags are not supported (found '!!map'); remove the tag, and quote the value if"
            + " it must stay text");
    expected.put(
        "nul after a table name",
        ":4: key 'child' contains the control character U+0000 (character 6); remove it");
    expected.put(
        "escape sequence in a description",
        ":6: key 'description' contains the control character U+001B (character 1); remove it");
    expected.put(
        "control character in a key",
        ":6: the key contains the control character U+0007 (character 6); remove it");
    expected.put(
        "unknown time zone",
        ":7: audit 'child.parent': key 'timezone': unknown time zone 'Mars/Olympus'; use e.g. UTC"
            + " or Europe/Berlin");
    try {
      Map<String, String> cases = hostileInputCases();
      assertThat(cases.keySet()).isEqualTo(expected.keySet());
      for (Map.Entry<String, String> fuzz : cases.entrySet()) {
        workspace.write("audits/a.yaml", fuzz.getValue());
        CliRunner.Outcome outcome = CliRunner.execute("validate", "--config", config.toString());
        assertThat(outcome.code()).as(fuzz.getKey()).isEqualTo(2);
        assertThat(outcome.err())
            .as(fuzz.getKey())
            .isEqualTo(
                file
                    + expected.get(fuzz.getKey())
                    + "\n1 configuration problem; nothing was run.\n");
      }
    } finally {
      root.detachAppender(logged);
    }
    // HikariCP logged the refused WITH as a broken connection, with a 23-line stack trace
    assertThat(logged.list)
        .filteredOn(event -> event.getThrowableProxy() != null)
        .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
        .isEmpty();
  }
}
