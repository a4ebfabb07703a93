package io.integrityauditor.bench;

import io.integrityauditor.TextTable;
import io.integrityauditor.config.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's figures as a console table and as Markdown for docs/performance.md. */
final class BenchReport {
  static final String BEGIN = "<!-- bench:begin -->";
  static final String END = "<!-- bench:end -->";

  private Map<String, String> machine = Map.of();
  private Map<String, String> server = Map.of();
  private Map<String, List<String>> plans = Map.of();
  private BenchCommand.Measurements m;
  private String chunkTarget;
  private long newRows;
  private double loadSeconds;
  private long peakHeap;
  private long maxHeap;
  private BenchServe.Result scrape;
  private String loadAfter = "";

  void machine(Map<String, String> machine) {
    this.machine = machine;
  }

  void server(Map<String, String> server) {
    this.server = server;
  }

  void plans(Map<String, List<String>> plans) {
    this.plans = plans;
  }

  void loadSeconds(double seconds) {
    this.loadSeconds = seconds;
  }

  void measurements(BenchCommand.Measurements m, String chunkTarget, long newRows) {
    this.m = m;
    this.chunkTarget = chunkTarget;
    this.newRows = newRows;
  }

  /** The store's key set of one run: its violations and the bytes its rows take. */
  void keySet(long violations, long bytes) {
    this.keySetViolations = violations;
    this.keySetBytes = bytes;
  }

  void peakHeap(long peak, long max) {
    this.peakHeap = peak;
    this.maxHeap = max;
  }

  void scrape(BenchServe.Result result) {
    this.scrape = result;
  }

  void loadAverageAfter(String load) {
    this.loadAfter = load;
  }

  private long keySetViolations = -1;
  private long keySetBytes;

  private record Row(String name, String time, String runs, String ratio, String target) {}

  private List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    double a = m.median("a");
    double b = m.median("b");
    double d = m.median("d");
    rows.add(row("(a) count(*) of the child (the floor)", "a", "", ""));
    rows.add(row("(b) NOT EXISTS anti-join (best hand-written)", "b", "", ""));
    rows.add(
        row("(c) LEFT JOIN ... IS NULL (dbt-style)", "c", ratio("(c)/(b)", m.median("c"), b), ""));
    rows.add(
        row(
            "(d) full audit: count, rows checked, 20 samples, every key tracked",
            "d",
            ratio("(d)/(b)", d, b),
            // the budget of issue 13: complete samples and every key tracked included
            "<= 1.15 " + verdict(d / b <= 1.15)));
    rows.add(
        row(
            "(e) chunked audit, chunk_target "
                + chunkTarget
                + " ("
                + m.chunks
                + " statements, longest "
                + m.longestChunkMillis
                + " ms)",
            "e",
            ratio("(e)/(b)", m.median("e"), b),
            "<= 1.6 " + verdict(m.median("e") / b <= 1.6)));
    double target = Durations.parse(chunkTarget).orElseThrow().toMillis();
    rows.add(
        new Row(
            "    longest chunk statement / chunk_target",
            "",
            "",
            String.format(Locale.ROOT, "%.2f", m.longestChunkMillis / target),
            "<= 2 " + verdict(m.longestChunkMillis <= 2 * target)));
    rows.add(
        row(
            String.format(
                Locale.ROOT,
                "(f) incremental audit after %,d new rows (%,d read)",
                newRows,
                m.scannedRows),
            "f",
            ratio("(f)/(d)", m.median("f"), d),
            "<= 0.03 " + verdict(m.median("f") / d <= 0.03)));
    rows.add(row("    full sweep that set its watermark (1 run)", "f_sweep", "", ""));
    if (!m.all("b10").isEmpty()) {
      double b10 = m.median("b10");
      rows.add(row("10% orphans: (b) anti-join", "b10", "", ""));
      rows.add(
          row(
              "10% orphans: (d) full audit",
              "d10",
              ratio("(d)/(b)", m.median("d10"), b10),
              "<= 1.35 " + verdict(m.median("d10") / b10 <= 1.35)));
      rows.add(
          row("10% orphans: (e) chunked audit", "e10", ratio("(e)/(b)", m.median("e10"), b10), ""));
    }
    if (keySetViolations >= 0) {
      rows.add(
          new Row(
              String.format(
                  Locale.ROOT,
                  "store growth per run: key set and first-seen times of %,d violating rows",
                  keySetViolations),
              mib(keySetBytes),
              "",
              String.format(
                  Locale.ROOT,
                  "%.1f bytes per row",
                  keySetViolations == 0 ? 0.0 : (double) keySetBytes / keySetViolations),
              ""));
    }
    rows.add(
        new Row(
            "peak heap (whole benchmark)", mib(peakHeap), "", "of " + mib(maxHeap) + " max", ""));
    if (scrape != null) {
      rows.add(
          new Row(
              "serve ready with " + scrape.audits() + " audits (database running)",
              String.format(Locale.ROOT, "%.2f s", scrape.startSeconds()),
              "",
              "",
              "<= 5 s " + verdict(scrape.startSeconds() <= 5)));
      rows.add(
          new Row(
              "  the same with a class-data-sharing archive (docs/operations.md)",
              String.format(Locale.ROOT, "%.2f s", scrape.archivedStartSeconds()),
              "",
              "",
              Double.isNaN(scrape.archivedStartSeconds())
                  ? "no archive"
                  : "<= 5 s " + verdict(scrape.archivedStartSeconds() <= 5)));
      rows.add(
          new Row(
              String.format(
                  Locale.ROOT,
                  "GET /metrics, %d audits (%,d series, %,d bytes): p50 / p99 / max",
                  scrape.audits(),
                  scrape.series(),
                  scrape.bytes()),
              String.format(
                  Locale.ROOT,
                  "%.1f / %.1f / %.1f ms",
                  scrape.percentile(50),
                  scrape.percentile(99),
                  scrape.percentile(100)),
              scrape.scrapeMillis().size() + " requests",
              "",
              "p99 <= 25 ms " + verdict(scrape.percentile(99) <= 25)));
    }
    return rows;
  }

  private Row row(String name, String key, String ratio, String target) {
    List<String> runs = new ArrayList<>();
    for (double value : m.all(key)) {
      runs.add(String.format(Locale.ROOT, "%.2f", value));
    }
    return new Row(name, BenchCommand.format(m.median(key)), String.join(" ", runs), ratio, target);
  }

  private static String ratio(String name, double x, double y) {
    return String.format(Locale.ROOT, "%s = %.3f", name, x / y);
  }

  private static String verdict(boolean met) {
    return met ? "met" : "NOT MET";
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / (1024.0 * 1024));
  }

  /** The console table. */
  String table() {
    TextTable table = new TextTable("MEASUREMENT", "MEDIAN", "RUNS (s)", "RATIO", "TARGET");
    for (Row row : rows()) {
      table.add(row.name(), row.time(), row.runs(), row.ratio(), row.target());
    }
    return table.render();
  }

  /** Markdown, between the markers of {@code file} (or the whole file when it has none). */
  void write(Path file, long rows, long parents, double orphans, double variant, int reps)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append(BEGIN).append('\n');
    md.append(
        String.format(
            Locale.ROOT,
            "Measured on %s with `java -Xmx256m -jar target/integrity-auditor.jar bench` (%,d child"
                + " rows, %,d parents, %.1f%% orphans, variant %.0f%%; medians of %d repetitions,"
                + " interleaved, warm cache; dataset loaded in %.0f s).%n%n",
            LocalDate.now(),
            rows,
            parents,
            orphans * 100,
            variant * 100,
            reps,
            loadSeconds));
    md.append("| measurement | median | runs (s) | ratio | target |\n|---|---|---|---|---|\n");
    for (Row row : rows()) {
      md.append("| ")
          .append(row.name().strip())
          .append(" | ")
          .append(row.time())
          .append(" | ")
          .append(row.runs())
          .append(" | ")
          .append(row.ratio())
          .append(" | ")
          .append(row.target())
          .append(" |\n");
    }
    md.append("\n**Machine**: ");
    List<String> parts = new ArrayList<>();
    machine.forEach((k, v) -> parts.add(k + ": " + v));
    parts.add("load average at end: " + loadAfter);
    md.append(String.join("; ", parts)).append(".\n\n**Server**: ");
    Map<String, String> settings = new LinkedHashMap<>(server);
    String version = settings.remove("version");
    md.append(version).append("; ");
    List<String> pairs = new ArrayList<>();
    settings.forEach((k, v) -> pairs.add("`" + k + "=" + v + "`"));
    md.append(String.join(", ", pairs)).append(".\n");
    for (var plan : plans.entrySet()) {
      md.append("\nPlan of ").append(plan.getKey()).append(" (`EXPLAIN`, no ANALYZE):\n\n```\n");
      for (String line : plan.getValue()) {
        md.append(line).append('\n');
      }
      md.append("```\n");
    }
    md.append(END).append('\n');
    String text = md.toString();
    if (Files.exists(file)) {
      String existing = Files.readString(file);
      int begin = existing.indexOf(BEGIN);
      int end = existing.indexOf(END);
      if (begin >= 0 && end > begin) {
        int after = end + END.length();
        if (after < existing.length() && existing.charAt(after) == '\n') {
          after++;
        }
        text = existing.substring(0, begin) + text + existing.substring(after);
      }
    }
    Files.writeString(file, text);
  }
}
