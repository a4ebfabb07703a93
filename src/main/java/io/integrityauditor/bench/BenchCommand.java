package io.integrityauditor.bench;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.Explainer;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    mixinStandardHelpOptions = true,
    name = "bench",
    description = {
      "Benchmark on an embedded PostgreSQL it starts itself: builds the reference dataset (a parent"
          + " with a text key, a child with an unindexed text reference and no foreign key, a"
          + " share of orphans), then measures in the same run, medians of --reps repetitions:"
          + " (a) count(*) of the child, (b) the NOT EXISTS anti-join a DBA would write, (c) the"
          + " dbt-style LEFT JOIN ... IS NULL, (d) the worker's full audit, (e) chunked and (f)"
          + " incremental audits; a 10%% orphan variant; /metrics latency with --audits audits and"
          + " serve's start-up time. Prints a table and, with --out, writes it to a Markdown file.",
      "Run it with -Xmx256m to check memory. Exit codes: 0 measured (whatever the figures), 1 an"
          + " audit found other counts than the dataset holds, 3 the benchmark could not run."
    })
public final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--rows",
      defaultValue = "10000000",
      description = "Child rows (default ${DEFAULT-VALUE}).")
  long rows;

  @Option(
      names = "--parents",
      defaultValue = "1000000",
      description = "Parent rows (default ${DEFAULT-VALUE}).")
  long parents;

  @Option(
      names = "--orphans",
      defaultValue = "0.001",
      description = "Share of child rows that are orphans (default ${DEFAULT-VALUE}).")
  double orphans;

  @Option(
      names = "--variant-orphans",
      defaultValue = "0.10",
      description =
          "Share of orphans of the variant child table; 0 skips it (default ${DEFAULT-VALUE}).")
  double variantOrphans;

  @Option(
      names = "--reps",
      defaultValue = "3",
      description = "Repetitions of each measurement, interleaved; medians are reported.")
  int reps;

  @Option(
      names = "--chunk-target",
      defaultValue = "2s",
      description = "chunk_target of the chunked audit (e) (default ${DEFAULT-VALUE}).")
  String chunkTarget;

  @Option(
      names = "--new-rows",
      defaultValue = "10000",
      description = "Rows appended before each incremental run (f) (default ${DEFAULT-VALUE}).")
  long newRows;

  @Option(
      names = "--audits",
      defaultValue = "1000",
      description = "Audits configured for the /metrics and start-up measurement; 0 skips it.")
  int audits;

  @Option(
      names = "--scrapes",
      defaultValue = "1000",
      description = "GET /metrics requests measured (default ${DEFAULT-VALUE}).")
  int scrapes;

  @Option(
      names = "--server-setting",
      paramLabel = "NAME=VALUE",
      description =
          "A setting of the embedded PostgreSQL, over the benchmark's own (repeatable), e.g."
              + " max_parallel_workers_per_gather=1 or an auto_explain setting.")
  Map<String, String> serverSettings = new LinkedHashMap<>();

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description = "Where the database and generated files live (default: a temp dir).")
  Path workDirectory;

  @Option(
      names = "--scenario",
      defaultValue = "single-database",
      description =
          "single-database (the default: everything above); cross-database: the child and its"
              + " parent in two embedded servers, the orphan audit across them against the"
              + " same-database anti-join, network bytes per child row and peak heap (issue 17);"
              + " fleet: --tenants schemas on one server, --tenant-audits audits on their"
              + " template, two serve nodes running one full cycle within --budget connections"
              + " each, against one multi-tenant query per audit (issue 18).")
  String scenario;

  @Option(
      names = "--tenants",
      defaultValue = "500",
      description = "Tenant schemas of the fleet scenario (default ${DEFAULT-VALUE}).")
  int tenants;

  @Option(
      names = "--tenant-audits",
      defaultValue = "20",
      description = "Audits on the fleet scenario's template (default ${DEFAULT-VALUE}).")
  int tenantAudits;

  @Option(
      names = "--budget",
      defaultValue = "4",
      description =
          "connection_budget.per_server of each node of the fleet scenario (default"
              + " ${DEFAULT-VALUE}).")
  int budget;

  @Option(
      names = "--cycle-minutes",
      defaultValue = "60",
      description =
          "Longest wait of the fleet scenario for its full cycle; a cycle not complete by then is"
              + " reported as far as it got and fails (default ${DEFAULT-VALUE}).")
  int cycleMinutes;

  @Option(
      names = "--cds",
      defaultValue = "auto",
      paramLabel = "off|auto",
      description =
          "Class-data sharing of the fleet scenario's nodes: auto (the default) writes an archive"
              + " by a short start of its own and starts both nodes with it, as the systemd unit"
              + " and the container image do; when the JVM cannot write or map one, the nodes start"
              + " without it and the report says why. off: no archive, the nodes start as a plain"
              + " `java -jar` does (the JDK's own archive of its classes only).")
  FleetBench.Cds cds;

  @Option(
      names = "--node-jvm-option",
      paramLabel = "OPTION",
      description =
          "A JVM option of the fleet scenario's serve processes, the start that writes the"
              + " archive included (repeatable), e.g. --node-jvm-option=-Xshare:off.")
  List<String> nodeJvmOptions = new ArrayList<>();

  @Option(
      names = "--port",
      defaultValue = "0",
      description =
          "First port of the cross-database scenario's servers (this one and the next) or of the"
              + " fleet scenario's (this one to +3: tenants, store, two nodes' HTTP); 0: any free"
              + " ports.")
  int port;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description =
          "Write the results as Markdown: replaces the part between <!-- bench:begin --> and"
              + " <!-- bench:end --> of an existing file, else writes the file.")
  Path out;

  PrintStream out() {
    return System.out;
  }

  @Override
  public Integer call() throws Exception {
    Path work =
        workDirectory != null
            ? Files.createDirectories(workDirectory)
            : Files.createTempDirectory("integrity-auditor-bench");
    if (scenario.equals("fleet")) {
      return FleetBench.run(
          work,
          new FleetBench.Scale(
              tenants, tenantAudits, budget, scrapes, port, Duration.ofMinutes(cycleMinutes)),
          cds,
          nodeJvmOptions,
          serverSettings,
          out());
    }
    if (scenario.equals("cross-database")) {
      return CrossDatabaseBench.run(
          work, rows, parents, orphans, reps, serverSettings, port, out());
    }
    BenchReport report = new BenchReport();
    report.machine(BenchMachine.describe());
    PeakHeap.reset();
    PrintStream out = out();
    out.printf(
        "Benchmark: %,d child rows, %,d parents, %.2f%% orphans (variant %.0f%%), %d reps%n%n",
        rows, parents, orphans * 100, variantOrphans * 100, reps);
    try (BenchDatabase database =
        BenchDatabase.start(work.resolve("pgdata"), serverSettings, out)) {
      report.server(database.describe());
      long loadStart = System.nanoTime();
      database.load(rows, parents, orphans, variantOrphans, out);
      report.loadSeconds((System.nanoTime() - loadStart) / 1e9);
      long expected = BenchDatabase.orphanCount(rows, orphans);
      long expectedVariant = BenchDatabase.orphanCount(rows, variantOrphans);

      Path config = writeConfig(work, database);
      WorkerConfig workerConfig = new WorkerConfigLoader(Environment.of(Map.of())).load(config);
      boolean consistent = true;
      try (Auditor auditor = Auditor.open(workerConfig, Clock.systemUTC())) {
        BenchAudits audits = BenchAudits.loadAndBind(auditor);
        Auditor.Binding binding = audits.binding();
        Map<String, Audit> byId = audits.byId();
        report.plans(explain(auditor, binding, byId));

        Measurements m = new Measurements();
        out.println("Warming the cache ...");
        database.time("SELECT count(*) FROM workflow_instances");
        database.time(BenchDatabase.ANTI_JOIN);
        // the audit path is warmed too (a worker runs for weeks: the first run of a JVM loads and
        // compiles the classes, opens the pools), so that (d)'s first repetition is not a
        // start-up figure; that run is the audit's first tracked one
        AuditResult warm =
            auditor.runAll(binding, List.of(byId.get("bench.full")), RunTrigger.CHECK).get(0);
        consistent &= check(out, warm, expected);
        consistent &= checkSplit(out, database, warm, "first");
        for (int rep = 1; rep <= reps; rep++) {
          out.printf("Repetition %d of %d ...%n", rep, reps);
          m.add("a", database.time("SELECT count(*) FROM workflow_instances"));
          m.add("b", database.time(BenchDatabase.ANTI_JOIN));
          m.add("c", database.time(BenchDatabase.LEFT_JOIN));
          AuditResult full = timed(auditor, binding, byId.get("bench.full"), m, "d");
          consistent &= check(out, full, expected);
          AuditResult chunked = timed(auditor, binding, byId.get("bench.chunked"), m, "e");
          consistent &= check(out, chunked, expected);
          if (rep == 1) {
            consistent &= checkSample(out, database, full, "workflow_instances");
            consistent &= checkSample(out, database, chunked, "workflow_instances");
          }
          // the data does not change between repetitions: every violating row persists
          String persists = "exact new=0 persisting=" + expected + " gone=0";
          consistent &= checkSplit(out, database, full, persists);
          consistent &= checkSplit(out, database, chunked, rep == 1 ? "first" : persists);
          m.chunks(chunked.info().chunks());
          m.longestChunk(database.longestChunkMillis());
          // where a chunked run's time goes: its statements, and the gaps between them
          out.printf("  (e) statements: %s%n", database.chunkStatements());
        }
        // (f): a full sweep sets the watermark, then each repetition appends rows and runs
        out.println("Incremental: full sweep, then appended rows ...");
        AuditResult sweep = timed(auditor, binding, byId.get("bench.incremental"), m, "f_sweep");
        consistent &= check(out, sweep, expected);
        consistent &= checkSplit(out, database, sweep, "first");
        long total = expected;
        for (int rep = 1; rep <= reps; rep++) {
          long appended = database.append(newRows, orphans);
          AuditResult increment = timed(auditor, binding, byId.get("bench.incremental"), m, "f");
          consistent &= check(out, increment, total + appended);
          consistent &=
              checkSplit(
                  out,
                  database,
                  increment,
                  "exact new=" + appended + " persisting=" + total + " gone=0");
          consistent &= checkSample(out, database, increment, "workflow_instances");
          total += appended;
          m.scanned(increment.info().scannedRows().orElse(-1L));
        }
        if (variantOrphans > 0) {
          out.println("10% variant ...");
          database.time(BenchDatabase.ANTI_JOIN_VARIANT);
          for (int rep = 1; rep <= reps; rep++) {
            m.add("b10", database.time(BenchDatabase.ANTI_JOIN_VARIANT));
            AuditResult variant = timed(auditor, binding, byId.get("bench.variant"), m, "d10");
            consistent &= check(out, variant, expectedVariant);
            consistent &=
                checkSplit(
                    out,
                    database,
                    variant,
                    rep == 1 ? "first" : "exact new=0 persisting=" + expectedVariant + " gone=0");
            if (rep == 1) {
              consistent &= checkSample(out, database, variant, "workflow_instances_variant");
            }
            AuditResult variantChunked =
                timed(auditor, binding, byId.get("bench.variant_chunked"), m, "e10");
            consistent &= check(out, variantChunked, expectedVariant);
            out.printf("  10%% (e) statements: %s%n", database.chunkStatements());
          }
        }
        report.measurements(m, chunkTarget, newRows);
        String measured = variantOrphans > 0 ? "bench.variant" : "bench.full";
        report.keySet(
            variantOrphans > 0 ? expectedVariant : expected, keySetBytes(database, measured));
      }
      report.peakHeap(PeakHeap.bytes(), Runtime.getRuntime().maxMemory());
      if (audits > 0) {
        out.printf("Serving %d audits: start-up and /metrics ...%n", audits);
        report.scrape(BenchServe.measure(work, database, audits, scrapes, out));
      }
      report.loadAverageAfter(BenchMachine.loadAverage());
      out.println();
      out.print(report.table());
      if (!consistent) {
        out.println("\nINCONSISTENT: an audit found other counts than the dataset holds.");
      }
      if (this.out != null) {
        report.write(this.out, rows, parents, orphans, variantOrphans, reps);
        out.println("\nWritten to " + this.out);
      }
      return consistent ? ExitCodes.CLEAN : ExitCodes.VIOLATIONS;
    }
  }

  private Path writeConfig(Path work, BenchDatabase database) throws IOException {
    Files.createDirectories(work.resolve("audits"));
    String common =
        """
            kind: orphan
            child: %s.config_version_id
            parent: config_versions.id
            timeout: 1h
            sample_size: 20
        """;
    StringBuilder yaml = new StringBuilder("audits:\n");
    yaml.append("  - id: bench.full\n")
        .append(common.formatted("workflow_instances"))
        .append("    mode: full\n");
    yaml.append("  - id: bench.chunked\n")
        .append(common.formatted("workflow_instances"))
        .append("    mode: chunked\n    chunk_target: ")
        .append(chunkTarget)
        .append('\n');
    yaml.append("  - id: bench.incremental\n")
        .append(common.formatted("workflow_instances"))
        .append("    mode: incremental\n    watermark: id\n    chunk_above_rows: ")
        .append(Long.MAX_VALUE)
        .append('\n');
    if (variantOrphans > 0) {
      yaml.append("  - id: bench.variant\n")
          .append(common.formatted("workflow_instances_variant"))
          .append("    mode: full\n");
      yaml.append("  - id: bench.variant_chunked\n")
          .append(common.formatted("workflow_instances_variant"))
          .append("    mode: chunked\n    chunk_target: ")
          .append(chunkTarget)
          .append('\n');
    }
    Files.writeString(work.resolve("audits/bench.yaml"), yaml.toString());
    Path config = work.resolve("integrity-auditor.yaml");
    Files.writeString(
        config,
        """
        node_id: bench
        store:
          url: %s
          user: postgres
        targets:
          bench:
            url: %s
            user: postgres
        audits:
          - audits/bench.yaml
        retry:
          attempts: 1
        """
            .formatted(database.url(BenchDatabase.STORE), database.url(BenchDatabase.TARGET)));
    return config;
  }

  /** The plans PostgreSQL chooses for the audit statements, on the reference data. */
  private static Map<String, List<String>> explain(
      Auditor auditor, Auditor.Binding binding, Map<String, Audit> byId) {
    Map<String, List<String>> plans = new LinkedHashMap<>();
    for (var bound : binding.bound()) {
      if (!bound.audit().id().equals("bench.full")) {
        continue;
      }
      Explainer.Explanation explanation =
          Explainer.explain(
              bound.audit(),
              bound.query(),
              auditor.targets().dataSource(bound.audit().target()),
              false);
      for (Explainer.Explained statement : explanation.statements()) {
        plans.put("(d) full audit", statement.plan());
      }
    }
    return plans;
  }

  private static AuditResult timed(
      Auditor auditor, Auditor.Binding binding, Audit audit, Measurements m, String name) {
    long start = System.nanoTime();
    List<AuditResult> results = auditor.runAll(binding, List.of(audit), RunTrigger.CHECK);
    m.add(name, (System.nanoTime() - start) / 1e9);
    return results.get(0);
  }

  private static boolean check(PrintStream out, AuditResult result, long expected) {
    long found = result.measurement().map(x -> x.violations()).orElse(-1L);
    long samples = result.measurement().map(x -> (long) x.samples().size()).orElse(-1L);
    if (found != expected || samples != Math.min(20, expected)) {
      out.printf(
          "  %s: expected %d violations and %d samples, found %s and %d (%s)%n",
          result.audit().id(),
          expected,
          Math.min(20, expected),
          found,
          samples,
          result.error().map(e -> e.errorClass() + ": " + e.message()).orElse("completed"));
      return false;
    }
    return true;
  }

  /**
   * Whether the run's sample is the dataset's: the 20 orphans with the smallest fingerprints
   * (docs/audits.md, the sample rule), found here with a plain anti-join. The benchmark's child has
   * a one-column bigint primary key, so the fingerprint is the key itself: the 20 smallest ids.
   */
  private static boolean checkSample(
      PrintStream out, BenchDatabase database, AuditResult result, String table)
      throws SQLException {
    Set<Map<String, String>> expected = new HashSet<>();
    try (Connection connection = database.connect();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT c.id::text AS id, c.config_version_id FROM "
                    + table
                    + " c WHERE c.config_version_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
                    + " config_versions p WHERE p.id = c.config_version_id) ORDER BY c.id"
                    + " LIMIT 20")) {
      while (rows.next()) {
        expected.add(Map.of("id", rows.getString(1), "config_version_id", rows.getString(2)));
      }
    }
    Set<Map<String, String>> found = new HashSet<>();
    result.measurement().ifPresent(m -> m.samples().forEach(sample -> found.add(sample.values())));
    if (!found.equals(expected)) {
      out.printf(
          "  %s: sample differs from the dataset's: expected %s, found %s%n",
          result.audit().id(), expected, found);
      return false;
    }
    return true;
  }

  /**
   * The bytes the rows of the audit's kept key set and of its keys' first-seen times and baseline
   * flags take in the store (arrays as stored).
   */
  private static long keySetBytes(BenchDatabase database, String auditId) throws SQLException {
    return storeRow(
        database,
        "WITH audit AS (SELECT ?::text AS id) SELECT"
            + " (SELECT coalesce(sum(pg_column_size(k.*)), 0) FROM integrity_auditor.violation_key k"
            + " JOIN integrity_auditor.audit_run r ON r.id = k.run_id, audit WHERE r.audit_id = audit.id)"
            + " + (SELECT coalesce(sum(pg_column_size(a.*)), 0) FROM integrity_auditor.violation_age a,"
            + " audit WHERE a.audit_id = audit.id)",
        auditId,
        row -> row.getLong(1));
  }

  /** Whether the store recorded the expected new/persisting/gone split for the run. */
  private static boolean checkSplit(
      PrintStream out, BenchDatabase database, AuditResult result, String expected)
      throws SQLException {
    String found =
        storeRow(
            database,
            "SELECT key_tracking, new_violations, persisting_violations, gone_violations"
                + " FROM integrity_auditor.audit_run WHERE audit_id = ? ORDER BY id DESC LIMIT 1",
            result.audit().id(),
            row ->
                "exact".equals(row.getString(1))
                    ? "exact new="
                        + row.getLong(2)
                        + " persisting="
                        + row.getLong(3)
                        + " gone="
                        + row.getLong(4)
                    : row.getString(1));
    if (!expected.equals(found)) {
      out.printf(
          "  %s: expected the split %s, the store recorded %s%n",
          result.audit().id(), expected, found);
      return false;
    }
    return true;
  }

  /** Reads one row of a store query about one audit. */
  private static <T> T storeRow(
      BenchDatabase database, String sql, String auditId, RowReader<T> reader) throws SQLException {
    try (Connection connection = database.connectStore();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, auditId);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        return reader.read(row);
      }
    }
  }

  private interface RowReader<T> {
    T read(ResultSet row) throws SQLException;
  }

  /** Timings by measurement name, in seconds. */
  static final class Measurements {
    final Map<String, List<Double>> seconds = new LinkedHashMap<>();
    int chunks;
    long longestChunkMillis;
    long scannedRows = -1;

    void add(String name, double value) {
      seconds.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }

    void chunks(int count) {
      chunks = Math.max(chunks, count);
    }

    void longestChunk(long millis) {
      longestChunkMillis = Math.max(longestChunkMillis, millis);
    }

    void scanned(long rows) {
      scannedRows = rows;
    }

    double median(String name) {
      List<Double> values = new ArrayList<>(seconds.getOrDefault(name, List.of()));
      if (values.isEmpty()) {
        return Double.NaN;
      }
      values.sort(null);
      int n = values.size();
      return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }

    List<Double> all(String name) {
      return seconds.getOrDefault(name, List.of());
    }
  }

  static String format(double seconds) {
    return Double.isNaN(seconds) ? "-" : String.format(Locale.ROOT, "%.3f s", seconds);
  }

  static long count(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
