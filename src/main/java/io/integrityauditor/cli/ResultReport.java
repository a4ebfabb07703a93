package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.Plural;
import io.integrityauditor.TextTable;
import io.integrityauditor.audit.Severity;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.config.Durations;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.KeyHistory;
import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.SampleBaseline;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Prints audit results as a table or as the JSON contract, and derives the exit code. */
final class ResultReport {
  private ResultReport() {}

  /** {@code {"data": [{id, status, violations, rowsChecked, samples, ...}]}} */
  static String json(List<AuditResult> results) {
    List<Map<String, Object>> data = new ArrayList<>();
    for (AuditResult result : results) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("id", result.audit().id());
      item.put("target", result.audit().target());
      item.put("kind", result.audit().kind());
      item.put("severity", result.audit().severity().label());
      item.put("owner", result.audit().owner().orElse(null));
      item.put("status", result.status().label());
      // which execution produced the figures: full, chunked (statements on nodes) or incremental
      // (the rows past a watermark read, the earlier rows' findings carried forward)
      item.put("mode", result.info().mode().label());
      if (result.info().mode() == RunInfo.Mode.CHUNKED) {
        item.put("chunks", result.info().chunks());
      }
      if (result.info().mode() == RunInfo.Mode.INCREMENTAL) {
        item.put("scannedRows", result.info().scannedRows().orElse(null));
        item.put("watermarkFrom", result.info().watermarkFrom().orElse(null));
        item.put("watermarkTo", result.info().watermarkTo().orElse(null));
      }
      Measurement m = result.measurement().orElse(null);
      item.put("violations", m == null ? null : m.violations());
      item.put("rowsChecked", m == null ? null : m.rowsChecked());
      item.put("violationRatio", m == null ? null : m.ratio());
      item.put("thresholdBreached", m == null ? null : result.thresholdBreached());
      item.put("threshold", result.audit().threshold().describe());
      // what the store knows of the violating rows (baseline, ages); null without a store or
      // when the keys are not tracked
      item.put(
          "baselineViolations", result.keyHistory().map(KeyHistory::baselineRows).orElse(null));
      item.put(
          "newViolationsOutsideBaseline",
          m == null
              ? null
              : result.keyHistory().map(h -> m.violations() - h.baselineRows()).orElse(null));
      item.put(
          "oldestViolationSince",
          result.keyHistory().flatMap(KeyHistory::oldestSince).map(Object::toString).orElse(null));
      item.put(
          "samples", m == null ? List.of() : m.samples().stream().map(SampleKey::values).toList());
      // for each sample key, whether it is in the baseline (null: not known); null without one
      item.put(
          "sampleInBaseline",
          inBaselineKnown(result) ? result.keyHistory().orElseThrow().sampleInBaseline() : null);
      item.put("notes", m == null ? List.of() : m.notes());
      item.put("durationMs", result.duration().toMillis());
      item.put("startedAt", result.startedAt().toString());
      item.put(
          "error",
          result
              .error()
              .map(e -> Map.of("class", e.errorClass(), "message", e.message()))
              .orElse(null));
      data.add(item);
    }
    return Json.writePretty(Map.of("data", data));
  }

  static String table(List<AuditResult> results) {
    TextTable table =
        new TextTable(
                "AUDIT",
                "TARGET",
                "SEVERITY",
                "STATUS",
                "VIOLATIONS",
                "ROWS CHECKED",
                "RATIO",
                "TIME")
            .alignRight(4, 5, 6, 7);
    for (AuditResult result : results) {
      Measurement m = result.measurement().orElse(null);
      String status = result.status().label() + (result.thresholdBreached() ? " !" : "");
      table.add(
          result.audit().id(),
          result.audit().target(),
          result.audit().severity().label(),
          status,
          m == null ? "-" : String.valueOf(m.violations()),
          m == null ? "-" : String.valueOf(m.rowsChecked()),
          m == null ? "-" : String.format(Locale.ROOT, "%.4f%%", m.ratio() * 100),
          result.duration().toMillis()
              + "ms"
              + (result.info().mode() == RunInfo.Mode.FULL
                  ? ""
                  : " (" + result.info().mode().label() + ")"));
    }
    StringBuilder out = new StringBuilder(table.render());
    for (AuditResult result : results) {
      details(out, result);
    }
    out.append(summary(results));
    return out.toString();
  }

  private static void details(StringBuilder out, AuditResult result) {
    if (result.error().isPresent()) {
      out.append('\n')
          .append(result.audit().id())
          .append(": ")
          .append(result.status().label())
          .append(" [")
          .append(result.error().get().errorClass())
          .append("] ")
          .append(result.error().get().message())
          .append('\n');
      return;
    }
    Measurement m = result.measurement().orElseThrow();
    if (m.violations() == 0 && m.notes().isEmpty()) {
      return;
    }
    out.append('\n').append(result.audit().id());
    result.audit().description().ifPresent(d -> out.append(" — ").append(d));
    out.append('\n');
    if (m.violations() > 0) {
      out.append("  ")
          // a schema audit's violations are catalog items, not rows
          .append(
              result.audit().kind().equals("schema")
                  ? Plural.of(
                      m.violations(), "missing or mismatched item", "missing or mismatched items")
                  : rowsAndMismatches(m))
          .append(" (threshold: ")
          .append(result.audit().threshold().describe())
          .append(result.thresholdBreached() ? ", breached" : ", not breached")
          .append(")");
      result
          .keyHistory()
          .filter(h -> h.baselineRows() > 0)
          .ifPresent(
              h ->
                  out.append(": ")
                      .append(m.violations() - h.baselineRows())
                      .append(" outside the baseline, ")
                      .append(h.baselineRows())
                      .append(" in it"));
      graceClause(result)
          .ifPresent(
              clause ->
                  out.append(
                          result.keyHistory().filter(h -> h.baselineRows() > 0).isPresent()
                              ? "; "
                              : ": ")
                      .append(clause));
      out.append("; sample keys:\n");
      List<Boolean> inBaseline =
          result.keyHistory().map(KeyHistory::sampleInBaseline).orElse(List.of());
      for (int i = 0; i < m.samples().size(); i++) {
        out.append("    ")
            .append(m.samples().get(i))
            .append(baselineMark(i < inBaseline.size() ? inBaseline.get(i) : null))
            .append('\n');
      }
      // a sample is a row, a group (unique) or an item, so only say that the sample was cut
      if (m.samples().size() < m.violations()
          && m.samples().size() >= result.audit().sampleSize()) {
        out.append("    ... (sample_size ")
            .append(result.audit().sampleSize())
            .append(" reached; ")
            .append(Plural.of(m.violations(), "violation"))
            .append(" in all)\n");
      }
    }
    if (inBaselineKnown(result)) {
      KeyHistory history = result.keyHistory().orElseThrow();
      SampleBaseline.outsideNotShown(
              result.audit().id(),
              m.violations(),
              history.baselineRows(),
              history.sampleInBaseline().stream().filter(Boolean.FALSE::equals).count(),
              m.samples().size())
          .ifPresent(hint -> out.append("    ").append(hint).append('\n'));
    }
    for (String note : m.notes()) {
      out.append("  note: ").append(note).append('\n');
    }
  }

  /**
   * "N violating rows", or, when type mismatches are among the violations (one per mismatched
   * column pair, a finding about the schema), how many of each: "9 violating rows" for 8 rows and a
   * varchar -> uuid reference sent on-call looking for a ninth row (newuser23).
   */
  /**
   * With a grace period, how old the oldest violating row is and from when it counts: "not
   * breached" alone did not tell a row broken a minute ago from one about to page (newuser24).
   */
  private static Optional<String> graceClause(AuditResult result) {
    Optional<Duration> maxAge = result.audit().threshold().maxAge();
    Optional<Instant> since = result.keyHistory().flatMap(KeyHistory::oldestSince);
    if (maxAge.isEmpty() || since.isEmpty()) {
      return Optional.empty();
    }
    Duration age = Duration.between(since.get(), result.startedAt());
    return Optional.of(
        "the oldest has been violating for "
            + Durations.format(Duration.ofSeconds(Math.max(0, age.toSeconds())))
            + " (since "
            + since.get()
            + "), so it counts from "
            + since.get().plus(maxAge.get()));
  }

  private static String rowsAndMismatches(Measurement m) {
    long mismatches =
        m.samples().stream()
            .filter(key -> key.values().keySet().equals(Set.of(AuditKinds.TYPE_MISMATCH_KEY)))
            .count();
    if (mismatches == 0) {
      return Plural.of(m.violations(), "violating row");
    }
    return Plural.of(m.violations(), "violation")
        + ": "
        + Plural.of(m.violations() - mismatches, "violating row")
        + " and "
        + Plural.of(mismatches, "type mismatch", "type mismatches");
  }

  /**
   * The mark after a sample key whose membership in the audit's baseline is known: after a
   * baseline, the one new broken row is among (or missing from) backlog rows, and on-call must see
   * which.
   */
  static String baselineMark(Boolean inBaseline) {
    if (inBaseline == null) {
      return "";
    }
    return inBaseline ? "  (in the baseline)" : "  (outside the baseline)";
  }

  private static boolean inBaselineKnown(AuditResult result) {
    return result
        .keyHistory()
        .map(h -> h.sampleInBaseline().stream().anyMatch(java.util.Objects::nonNull))
        .orElse(false);
  }

  private static String summary(List<AuditResult> results) {
    long clean = results.stream().filter(r -> r.status() == RunStatus.OK).count();
    long breached = results.stream().filter(AuditResult::thresholdBreached).count();
    long failed = results.stream().filter(r -> !r.status().completed()).count();
    return String.format(
        Locale.ROOT,
        "%n%s: %d clean, %d with violations (%d breached), %d could not run%n",
        Plural.of(results.size(), "audit"),
        clean,
        results.size() - clean - failed,
        breached,
        failed);
  }

  static int exitCode(List<AuditResult> results, Severity failOn) {
    if (results.stream().anyMatch(r -> !r.status().completed())) {
      return ExitCodes.COULD_NOT_RUN;
    }
    boolean breached =
        results.stream()
            .anyMatch(r -> r.thresholdBreached() && r.audit().severity().atLeast(failOn));
    return breached ? ExitCodes.VIOLATIONS : ExitCodes.CLEAN;
  }
}
