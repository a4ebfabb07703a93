package io.integrityauditor.suggest;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Durations;
import io.integrityauditor.suggest.Evidence.Measure;
import io.integrityauditor.suggest.Evidence.Sample;
import io.integrityauditor.suggest.Inference.EnforcedKey;
import io.integrityauditor.suggest.Inference.Excluded;
import io.integrityauditor.suggest.Report.PolymorphicProposal;
import io.integrityauditor.suggest.Report.Proposal;
import io.integrityauditor.suggest.Report.Rejection;
import io.integrityauditor.suggest.Report.TypeParent;
import io.integrityauditor.suggest.Report.TypeProblem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Renders a {@link Report} as an audit file in the format of {@code audits/}: a header, {@code
 * defaults}, one orphan audit per proposal preceded by its evidence, then comment sections for
 * type-alignment findings, rejected candidates, enforced foreign keys, exclusions and unmatched
 * columns. No date and no run-dependent figure, so the same database gives the same file.
 */
final class SuggestionWriter {
  private static final int WIDTH = 100;
  private static final Pattern IDENTIFIER = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_$]*");
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
  private static final Pattern PLAIN_TEXT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_ .,()/>\\-]*");

  /** YAML 1.1 reads these as booleans or null when unquoted. */
  private static final Set<String> RESERVED =
      Set.of("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~");

  private SuggestionWriter() {}

  static String yaml(Report report) {
    StringBuilder out = new StringBuilder();
    header(report, out);
    out.append("defaults:\n  target: ").append(scalar(report.target())).append("\n\n");
    if (report.audits() == 0) {
      out.append("audits: []\n");
    } else {
      out.append("audits:\n");
      for (int i = 0; i < report.proposals().size(); i++) {
        if (i > 0) {
          out.append('\n');
        }
        audit(report, report.proposals().get(i), out);
      }
      for (int i = 0; i < report.polymorphic().size(); i++) {
        if (i > 0 || !report.proposals().isEmpty()) {
          out.append('\n');
        }
        polymorphic(report, report.polymorphic().get(i), out);
      }
    }
    typeFindings(report, out);
    rejected(report, out);
    enforced(report, out);
    excluded(report, out);
    unmatched(report, out);
    return out.toString();
  }

  private static void header(Report report, StringBuilder out) {
    SuggestSettings settings = report.settings();
    List<String> lines = new ArrayList<>();
    lines.add(
        "Orphan audits proposed by `integrity-auditor suggest` for target "
            + report.target()
            + ".");
    lines.add("");
    lines.add(
        "Each audit below is a reference inferred from column and table names and checked against"
            + " a sample of the data: evidence, not proof. Review every one before adding this file"
            + " to your audits; see docs/suggest.md for how references are inferred.");
    lines.add("");
    lines.add(
        "Settings: schemas "
            + (settings.schemas().isEmpty() ? "all" : String.join(", ", settings.schemas()))
            + "; sample up to "
            + Evidence.count(settings.sampleRows())
            + " rows per column; minimum coverage "
            + formatRatio(settings.minCoverage())
            + "; evidence query timeout "
            + Durations.format(settings.timeout())
            + ".");
    lines.add(
        "Excluded column patterns: "
            + (settings.excludes().isEmpty() ? "none" : String.join(", ", settings.excludes()))
            + ".");
    lines.add("");
    lines.add(
        "Result: "
            + plural(report.audits(), "audit")
            + " proposed"
            + brokenCount(report)
            + polymorphicCount(report)
            + ", "
            + plural(typeFindingCount(report), "type-alignment finding")
            + ", "
            + plural(report.rejected().size(), "column")
            + " rejected, "
            + plural(report.enforced().size(), "foreign key")
            + " already enforced, "
            + plural(report.excluded().size(), "column")
            + " excluded, "
            + plural(report.unmatched().size(), "column")
            + " unmatched.");
    for (String warning : report.unreadableWarnings()) {
      lines.add("");
      lines.add("Warning: " + warning + ".");
    }
    for (String line : lines) {
      comment(line, "", out);
    }
    out.append('\n');
  }

  private static String brokenCount(Report report) {
    long broken = report.proposals().stream().filter(Proposal::broken).count();
    return broken == 0 ? "" : " (" + broken + " of them likely references with broken data)";
  }

  private static String polymorphicCount(Report report) {
    int n = report.polymorphic().size();
    return n == 0 ? "" : " (" + n + " of them polymorphic)";
  }

  /**
   * A {@code kind: polymorphic} audit: one parent per type value whose table holds its ids. Type
   * values left out are named, and then {@code unknown_types: ignore} keeps the audit from
   * reporting every row of theirs; otherwise a new type value is reported until it is mapped.
   */
  private static void polymorphic(Report report, PolymorphicProposal proposal, StringBuilder out) {
    Side id = proposal.pair().id();
    String type = proposal.pair().type().name();
    out.append("  # ")
        .append(id.describe())
        .append(" -> the table ")
        .append(type)
        .append(" names (")
        .append(Tier.POLYMORPHIC.label())
        .append(")\n");
    out.append("  # evidence, per type value, in ")
        .append(proposal.sample().describe())
        .append(":\n");
    for (TypeParent parent : proposal.parents()) {
      Measure m = parent.evidence();
      out.append("  #   ")
          .append(parent.value())
          .append(" -> ")
          .append(m.candidate().parent().describe())
          .append(": ")
          .append(m.describeCoverage())
          .append(" found")
          .append(
              parent.broken()
                  ? "; LIKELY REFERENCE, BROKEN DATA: this audit will report the "
                      + Evidence.percent(m.sample().distinct() - m.found(), m.sample().distinct())
                      + " without a parent"
                  : "")
          .append('\n');
    }
    for (String left : proposal.left()) {
      out.append("  #   not mapped: ").append(left).append('\n');
    }
    if (proposal.moreTypes()) {
      out.append("  #   not read: more than ")
          .append(Evidence.MAX_TYPE_VALUES)
          .append(" type values; add the others by hand\n");
    }
    // a parent keyed together with a tenant column (Zitadel's auth.users(id, instance_id)) is
    // measured on both columns, so the audit reads both: id_columns, and the parent's columns in
    // the same order; a parent keyed otherwise cannot share the audit's id columns
    List<ColumnInfo> idColumns = proposal.parents().get(0).evidence().candidate().child().columns();
    List<TypeParent> written =
        proposal.parents().stream()
            .filter(p -> p.evidence().candidate().child().columns().equals(idColumns))
            .toList();
    for (TypeParent parent : proposal.parents()) {
      if (!written.contains(parent)) {
        out.append("  #   not mapped: ")
            .append(parent.value())
            .append(" -> ")
            .append(parent.evidence().candidate().describe())
            .append(": keyed by other columns than ")
            .append(new Side(id.table(), idColumns).describe())
            .append("; write a polymorphic audit of its own for it\n");
      }
    }
    boolean partial =
        !proposal.left().isEmpty()
            || proposal.moreTypes()
            || written.size() < proposal.parents().size();
    if (partial) {
      out.append("  # unknown_types: ignore, so the type values not mapped are not reported;")
          .append(" map them, then remove it\n");
    }
    out.append("  - id: ").append(scalar(proposal.id())).append('\n');
    out.append("    description: ")
        .append(text("inferred polymorphic reference " + name(report, id) + " by " + type))
        .append('\n');
    out.append("    kind: polymorphic\n");
    out.append("    table: ").append(scalar(table(report, id.table()))).append('\n');
    out.append("    type_column: ").append(scalar(identifier(type))).append('\n');
    if (idColumns.size() == 1) {
      out.append("    id_column: ")
          .append(scalar(identifier(idColumns.get(0).name())))
          .append('\n');
    } else {
      out.append("    id_columns: ").append(columnList(idColumns)).append('\n');
    }
    out.append("    parents:\n");
    for (TypeParent parent : written) {
      Side key = parent.evidence().candidate().parent();
      out.append("      ").append(scalar(parent.value())).append(": ");
      if (key.columns().size() == 1) {
        out.append(
            scalar(table(report, key.table()) + "." + identifier(key.columns().get(0).name())));
      } else {
        out.append("{table: ")
            .append(scalar(table(report, key.table())))
            .append(", columns: ")
            .append(columnList(key.columns()))
            .append('}');
      }
      out.append('\n');
    }
    if (partial) {
      out.append("    unknown_types: ignore\n");
    }
  }

  private static String columnList(List<ColumnInfo> columns) {
    return "["
        + columns.stream().map(c -> scalar(identifier(c.name()))).collect(Collectors.joining(", "))
        + "]";
  }

  private static void audit(Report report, Proposal proposal, StringBuilder out) {
    Candidate candidate = proposal.candidate();
    Measure measure = proposal.evidence();
    out.append("  # ")
        .append(candidate.describe())
        .append(" (")
        .append(candidate.tier().label())
        .append(")\n");
    if (proposal.broken()) {
      long missing = measure.sample().distinct() - measure.found();
      out.append("  # LIKELY REFERENCE, BROKEN DATA: ")
          .append(Evidence.percent(missing, measure.sample().distinct()))
          .append(" of values have no parent (")
          .append(Evidence.count(missing))
          .append(" of ")
          .append(Evidence.count(measure.sample().distinct()))
          .append(" distinct values); proposed because the name is strong evidence: this audit")
          .append(" will report them\n");
    }
    if (proposal.noData()) {
      out.append("  # evidence: none, no values in ")
          .append(measure.sample().describe())
          .append("; proposed on its name alone\n");
    } else {
      out.append("  # evidence: ")
          .append(measure.describeCoverage())
          .append(" found, in ")
          .append(measure.sample().describe())
          .append(weak(measure.sample()))
          .append('\n');
    }
    if (!candidate.sameTypes()) {
      out.append("  # type alignment: ")
          .append(candidate.child().describeTypes())
          .append(" references ")
          .append(candidate.parent().describeTypes())
          .append("; it works, but a foreign key wants the same type\n");
    }
    List<Measure> others =
        proposal.others().stream().filter(m -> m.sample().distinct() > 0).toList();
    if (!others.isEmpty()) {
      out.append("  # also measured: ")
          .append(
              others.stream()
                  .map(
                      m ->
                          m.candidate().parent().describe()
                              + " "
                              + Evidence.percent(m.found(), m.sample().distinct()))
                  .collect(Collectors.joining(", ")))
          .append('\n');
    }
    for (String failure : proposal.unmeasured()) {
      out.append("  # not measured: ").append(failure).append('\n');
    }
    out.append("  - id: ").append(scalar(proposal.id())).append('\n');
    out.append("    description: ")
        .append(
            text(
                "inferred reference "
                    + name(report, candidate.child())
                    + " -> "
                    + name(report, candidate.parent())))
        .append('\n');
    out.append("    kind: orphan\n");
    side(report, "child", candidate.child(), out);
    side(report, "parent", candidate.parent(), out);
  }

  /** Shorthand {@code table.column} for one column, a mapping for composite references. */
  private static void side(Report report, String key, Side side, StringBuilder out) {
    if (side.columns().size() == 1) {
      out.append("    ")
          .append(key)
          .append(": ")
          .append(
              scalar(table(report, side.table()) + "." + identifier(side.columns().get(0).name())))
          .append('\n');
      return;
    }
    out.append("    ").append(key).append(":\n");
    out.append("      table: ").append(scalar(table(report, side.table()))).append('\n');
    out.append("      columns: [")
        .append(
            side.columns().stream().map(c -> scalar(c.name())).collect(Collectors.joining(", ")))
        .append("]\n");
  }

  private static void typeFindings(Report report, StringBuilder out) {
    List<String> lines = new ArrayList<>();
    for (EnforcedKey key : report.enforced()) {
      if (key.typesDiffer()) {
        lines.add(
            typed(key.from().orElseThrow(), key.to().orElseThrow())
                + ": foreign key "
                + key.constraint().name());
      }
    }
    for (Proposal proposal : report.proposals()) {
      if (!proposal.candidate().sameTypes()) {
        lines.add(
            typed(proposal.candidate().child(), proposal.candidate().parent())
                + ": proposed above as "
                + proposal.id());
      }
    }
    for (TypeProblem problem : report.typeProblems()) {
      Measure m = problem.evidence();
      String evidence =
          m.sample().distinct() == 0
              ? "no values to measure in " + m.sample().describe()
              : m.describeCoverage() + " match as text, in " + m.sample().describe();
      lines.add(
          typed(problem.candidate().child(), problem.candidate().parent())
              + " ("
              + problem.candidate().tier().label()
              + "): "
              + evidence
              + "; not proposed: the types cannot be compared. Store the reference as "
              + problem.candidate().parent().describeTypes()
              // compare_as alone still counts the mismatch as one violation of every run
              // (newuser23); type_mismatch: note is what accepts the type
              + ", or audit it with compare_as: text and type_mismatch: note");
    }
    section(
        "Type-alignment findings (a reference stored with another type than the key it points at):",
        lines,
        out);
  }

  private static void rejected(Report report, StringBuilder out) {
    List<String> lines = new ArrayList<>();
    for (Rejection rejection : report.rejected()) {
      if (rejection.reason().isPresent()) {
        lines.add(
            rejection.column().describe()
                + " -> "
                + rejection.candidates().stream()
                    .map(c -> c.parent().describe())
                    .collect(Collectors.joining(" | "))
                + " ("
                + rejection.tier().label()
                + "): "
                + rejection.reason().get());
      } else {
        for (Measure m : rejection.measures()) {
          lines.add(
              m.candidate().describe()
                  + " ("
                  + m.candidate().tier().label()
                  + "): "
                  + whyRejected(
                      report, m, Suggester.rivals(m.candidate(), rejection.candidates())));
        }
      }
      for (String failure : rejection.unmeasured()) {
        lines.add(rejection.column().describe() + " -> " + failure);
      }
    }
    section(
        "Rejected candidates (not proposed: the data does not support them; add one by hand if you"
            + " know better):",
        lines,
        out);
  }

  private static String whyRejected(Report report, Measure m, int candidatesOfColumn) {
    Sample sample = m.sample();
    if (sample.distinct() == 0) {
      return "no values in " + sample.describe();
    }
    String figures = m.describeCoverage() + " found, in " + sample.describe();
    if (!m.supports(report.settings().minCoverage())) {
      // a strong name with half or less found: the values belong to another key space
      String keySpace =
          Suggester.strongName(m.candidate(), candidatesOfColumn) && !m.asText()
              ? "; half or fewer of the values are there: another key space, not a broken"
                  + " reference"
              : "";
      return figures
          + (m.asText() ? " (compared as text)" : "")
          + "; below the minimum of "
          + formatRatio(report.settings().minCoverage())
          + keySpace;
    }
    return figures
        + "; but the values are "
        + sample.min().getAsLong()
        + ".."
        + sample.max().getAsLong()
        + " while "
        + m.candidate().parent().table().id()
        + " has at least "
        + Evidence.count(m.parentKeys().getAsLong())
        + " rows: a counter or position, not a reference";
  }

  private static void enforced(Report report, StringBuilder out) {
    List<String> lines =
        report.enforced().stream()
            .sorted(
                Comparator.comparing((EnforcedKey k) -> k.child().id())
                    .thenComparing(k -> k.constraint().name()))
            .map(
                k ->
                    k.child().id()
                        + "("
                        + String.join(", ", k.constraint().columns())
                        + ") -> "
                        + k.constraint().referencedTable().map(Object::toString).orElse("?")
                        + "("
                        + String.join(", ", k.constraint().referencedColumns())
                        + ")  ["
                        + k.constraint().name()
                        + "]")
            .toList();
    section("Already enforced by a foreign key (not proposed):", lines, out);
  }

  private static void excluded(Report report, StringBuilder out) {
    List<String> lines =
        report.excluded().stream()
            .map((Excluded e) -> e.column().describe() + " (pattern " + e.pattern() + ")")
            .toList();
    section("Excluded by pattern (ids of other systems; change with --exclude):", lines, out);
  }

  private static void unmatched(Report report, StringBuilder out) {
    List<String> lines =
        report.unmatched().stream().map(u -> u.column().describe() + ": " + u.reason()).toList();
    section("Named like references, but no audit proposed (and why):", lines, out);
  }

  private static void section(String title, List<String> lines, StringBuilder out) {
    if (lines.isEmpty()) {
      return;
    }
    out.append('\n');
    comment(title, "", out);
    for (String line : lines) {
      out.append("#   ").append(line).append('\n');
    }
  }

  static int typeFindingCount(Report report) {
    return (int)
        (report.enforced().stream().filter(EnforcedKey::typesDiffer).count()
            + report.proposals().stream().filter(p -> !p.candidate().sameTypes()).count()
            + report.typeProblems().size());
  }

  private static String typed(Side from, Side to) {
    return from.describe()
        + " ("
        + from.describeTypes()
        + ") -> "
        + to.describe()
        + " ("
        + to.describeTypes()
        + ")";
  }

  private static String weak(Sample sample) {
    return sample.distinct() < 3
        ? "; only " + plural(sample.distinct(), "distinct value") + ": weak evidence"
        : "";
  }

  /** Word-wrapped {@code # } comment lines. */
  private static void comment(String text, String indent, StringBuilder out) {
    if (text.isEmpty()) {
      out.append(indent).append("#\n");
      return;
    }
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && indent.length() + 2 + line.length() + 1 + word.length() > WIDTH) {
        out.append(indent).append("# ").append(line).append('\n');
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    out.append(indent).append("# ").append(line).append('\n');
  }

  /** How an audit file names the table: bare when the search path finds it, else qualified. */
  private static String table(Report report, TableInfo table) {
    String name = identifier(table.id().name());
    return Suggester.resolvesUnqualified(report.catalog(), table)
        ? name
        : identifier(table.id().schema()) + "." + name;
  }

  private static String name(Report report, Side side) {
    return table(report, side.table())
        + (side.columns().size() == 1
            ? "." + side.columns().get(0).name()
            : side.columns().stream()
                .map(ColumnInfo::name)
                .collect(Collectors.joining(", ", "(", ")")));
  }

  /**
   * A name part as audit files write it: bare when it is a plain identifier (names resolve exactly
   * first, so case needs no quotes), else double-quoted as in SQL.
   */
  static String identifier(String name) {
    return IDENTIFIER.matcher(name).matches() ? name : '"' + name.replace("\"", "\"\"") + '"';
  }

  /** A YAML scalar: plain when safe, else single-quoted. */
  static String scalar(String value) {
    if (PLAIN.matcher(value).matches() && !RESERVED.contains(value.toLowerCase(Locale.ROOT))) {
      return value;
    }
    return "'" + value.replace("'", "''") + "'";
  }

  private static String text(String value) {
    return PLAIN_TEXT.matcher(value).matches() ? value : scalar(value);
  }

  private static String plural(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String formatRatio(double ratio) {
    double percent = ratio * 100;
    return (percent == Math.rint(percent)
            ? String.valueOf((long) percent)
            : String.format(Locale.ROOT, "%.1f", percent))
        + "%";
  }
}
