package io.integrityauditor.bench;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --scenario cross-database} (issue 17): the reference dataset's child in one embedded
 * PostgreSQL and its parent in a second one, the cross-database orphan audit against the
 * same-database NOT EXISTS anti-join (and the same-database audit) on the same data; medians of
 * interleaved repetitions, network bytes per child row (both connections, both directions, counted
 * by {@link CountingSocketFactory}) and the worker's peak heap.
 */
final class CrossDatabaseBench {
  private CrossDatabaseBench() {}

  static int run(
      Path work,
      long rows,
      long parents,
      double orphans,
      int reps,
      Map<String, String> settings,
      int port,
      PrintStream out)
      throws Exception {
    out.printf(
        "Cross-database benchmark: %,d child rows, %,d parents, %.2f%% orphans, %d reps%n",
        rows, parents, orphans * 100, reps);
    try (BenchDatabase child =
            BenchDatabase.start(work.resolve("pgdata-child"), settings, out, port);
        BenchDatabase parent =
            BenchDatabase.start(
                work.resolve("pgdata-parent"), settings, out, port > 0 ? port + 1 : 0)) {
      child.load(rows, parents, orphans, 0, out);
      parent.loadParents(parents);
      parent.analyseParents();
      long expected = BenchDatabase.orphanCount(rows, orphans);
      Path config = config(work, child, parent);
      try (Auditor auditor =
          Auditor.open(
              new WorkerConfigLoader(Environment.of(Map.of())).load(config), Clock.systemUTC())) {
        BenchAudits audits = BenchAudits.loadAndBind(auditor);
        Auditor.Binding binding = audits.binding();
        Audit same = audits.get("bench.same_database");
        Audit across = audits.get("bench.across");
        BenchCommand.Measurements m = new BenchCommand.Measurements();
        boolean consistent = true;
        out.println("Warming the caches ...");
        child.time(BenchDatabase.ANTI_JOIN);
        run(auditor, binding, across);
        long bytes = 0;
        PeakHeap.reset();
        for (int rep = 1; rep <= reps; rep++) {
          out.printf("Repetition %d of %d ...%n", rep, reps);
          m.add("anti_join", child.time(BenchDatabase.ANTI_JOIN));
          m.add("same", timed(auditor, binding, same, m, out, expected));
          long before = CountingSocketFactory.BYTES.get();
          double seconds = timed(auditor, binding, across, m, out, expected);
          bytes = CountingSocketFactory.BYTES.get() - before;
          m.add("across", seconds);
          consistent &= !Double.isNaN(seconds);
        }
        long peak = PeakHeap.bytes();
        double antiJoin = m.median("anti_join");
        double cross = m.median("across");
        out.println();
        out.println("| measurement | median | ratio to the anti-join |");
        out.println("|---|---|---|");
        out.printf(
            Locale.ROOT,
            "| NOT EXISTS anti-join, one database | %s | 1.00 |%n",
            BenchCommand.format(antiJoin));
        out.printf(
            Locale.ROOT,
            "| orphan audit, one database | %s | %.2f |%n",
            BenchCommand.format(m.median("same")),
            m.median("same") / antiJoin);
        out.printf(
            Locale.ROOT,
            "| orphan audit across two servers | %s | %.2f |%n",
            BenchCommand.format(cross),
            cross / antiJoin);
        out.printf(
            Locale.ROOT,
            "%nnetwork: %,d bytes per run, %.1f bytes per child row; peak heap %,d MiB of %,d MiB"
                + " max; all runs: anti-join %s, across %s%n",
            bytes,
            (double) bytes / rows,
            peak / (1024 * 1024),
            Runtime.getRuntime().maxMemory() / (1024 * 1024),
            m.all("anti_join"),
            m.all("across"));
        out.println("load average after: " + BenchMachine.loadAverage());
        return consistent ? ExitCodes.CLEAN : ExitCodes.VIOLATIONS;
      }
    }
  }

  private static AuditResult run(Auditor auditor, Auditor.Binding binding, Audit audit) {
    return auditor.runAll(binding, List.of(audit), RunTrigger.CHECK).get(0);
  }

  /** Seconds of one run, NaN (and a line saying why) when it found another count. */
  private static double timed(
      Auditor auditor,
      Auditor.Binding binding,
      Audit audit,
      BenchCommand.Measurements m,
      PrintStream out,
      long expected) {
    long start = System.nanoTime();
    AuditResult result = run(auditor, binding, audit);
    double seconds = (System.nanoTime() - start) / 1e9;
    long found = result.measurement().map(x -> x.violations()).orElse(-1L);
    if (found != expected) {
      out.printf(
          "INCONSISTENT: %s found %d orphans (%s), the dataset holds %d%n",
          audit.id(), found, result.status(), expected);
      return Double.NaN;
    }
    return seconds;
  }

  private static Path config(Path work, BenchDatabase child, BenchDatabase parent)
      throws Exception {
    Files.createDirectories(work.resolve("audits"));
    Files.writeString(
        work.resolve("audits/across.yaml"),
        """
        audits:
          - id: bench.same_database
            kind: orphan
            target: child
            mode: full
            timeout: 1h
            child: workflow_instances.config_version_id
            parent: config_versions.id
          - id: bench.across
            kind: orphan
            target: child
            timeout: 1h
            child: workflow_instances.config_version_id
            parent: {target: parent, table: config_versions, columns: [id]}
        """);
    String counting = "?socketFactory=" + CountingSocketFactory.class.getName();
    Path config = work.resolve("integrity-auditor-across.yaml");
    Files.writeString(
        config,
        """
        node_id: bench
        targets:
          child: {url: "%s", user: postgres}
          parent: {url: "%s", user: postgres}
        audits: [audits/across.yaml]
        retry: {attempts: 1}
        """
            .formatted(
                child.url(BenchDatabase.TARGET) + counting,
                parent.url(BenchDatabase.TARGET) + counting));
    return config;
  }
}
