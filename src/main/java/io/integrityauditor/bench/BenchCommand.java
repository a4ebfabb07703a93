package io.integrityauditor.bench;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.ConfigException;
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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
        report.plans(explain(auditor, binding, byId));

        Measurements m = new Measurements();
        out.println("Warming the cache ...");
        database.time("SELECT count(*) FROM workflow_instances");
        database.time(BenchDatabase.ANTI_JOIN);
        for (int rep = 1; rep <= reps; rep++) {
          out.printf("Repetition %d of %d ...%n", rep, reps);
          m.add("a", database.time("SELECT count(*) FROM workflow_instances"));
          m.add("b", database.time(BenchDatabase.ANTI_JOIN));
          m.add("c", database.time(BenchDatabase.LEFT_JOIN));
          AuditResult full = timed(auditor, binding, byId.get("bench.full"), m, "d");
          consistent &= check(out, full, expected);
          AuditResult chunked = timed(auditor, binding, byId.get("bench.chunked"), m, "e");
          consistent &= check(out, chunked, expected);
          m.chunks(chunked.info().chunks());
          m.longestChunk(database.longestChunkMillis());
        }
        // (f): a full sweep sets the watermark, then each repetition appends rows and runs
        out.println("Incremental: full sweep, then appended rows ...");
        AuditResult sweep = timed(auditor, binding, byId.get("bench.incremental"), m, "f_sweep");
        consistent &= check(out, sweep, expected);
        long total = expected;
        for (int rep = 1; rep <= reps; rep++) {
          total += database.append(newRows, orphans);
          AuditResult increment = timed(auditor, binding, byId.get("bench.incremental"), m, "f");
          consistent &= check(out, increment, total);
          m.scanned(increment.info().scannedRows().orElse(-1L));
        }
        if (variantOrphans > 0) {
          out.println("10% variant ...");
          database.time(BenchDatabase.ANTI_JOIN_VARIANT);
          for (int rep = 1; rep <= reps; rep++) {
            m.add("b10", database.time(BenchDatabase.ANTI_JOIN_VARIANT));
            AuditResult variant = timed(auditor, binding, byId.get("bench.variant"), m, "d10");
            consistent &= check(out, variant, expectedVariant);
            AuditResult variantChunked =
                timed(auditor, binding, byId.get("bench.variant_chunked"), m, "e10");
            consistent &= check(out, variantChunked, expectedVariant);
          }
        }
        report.measurements(m, chunkTarget, newRows);
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
