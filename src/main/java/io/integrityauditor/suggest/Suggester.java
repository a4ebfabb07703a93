package io.integrityauditor.suggest;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.suggest.Evidence.Measure;
import io.integrityauditor.suggest.Inference.Group;
import io.integrityauditor.suggest.Inference.Inferred;
import io.integrityauditor.suggest.Report.Proposal;
import io.integrityauditor.suggest.Report.Rejection;
import io.integrityauditor.suggest.Report.TypeProblem;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * {@code suggest}: infers the references of a target from names and types ({@link Inference}),
 * checks each against the data ({@link Evidence}) and writes an audit file proposing one orphan
 * audit per supported reference ({@link SuggestionWriter}).
 *
 * <p>Decision per column: the candidates of the strongest naming tier are measured; those below the
 * minimum coverage, or whose values look like a counter, are rejected; among the rest the
 * same-schema, name-closest, best-covered parent wins. A column with no values at all is proposed
 * on naming alone when one candidate clearly leads, and says so.
 */
public final class Suggester {
  private Suggester() {}

  /**
   * Runs {@code suggest} against a target.
   *
   * @throws SQLException when no connection can be had (individual evidence queries that fail are
   *     reported as rejected candidates instead)
   */
  public static Suggestion suggest(
      String target, Catalog catalog, DataSource dataSource, SuggestSettings settings)
      throws SQLException {
    return suggest(target, catalog, dataSource, settings, Optional.empty());
  }

  /** The same, with the migrations limited to references whose audit has been clean long enough. */
  public static Suggestion suggest(
      String target,
      Catalog catalog,
      DataSource dataSource,
      SuggestSettings settings,
      Optional<Graduation> graduation)
      throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      Report report = report(target, catalog, connection, settings);
      MigrationWriter.Migrations migrations = MigrationWriter.sql(report, graduation);
      return new Suggestion(
          SuggestionWriter.yaml(report),
          migrations.sql(),
          migrations.written(),
          migrations.heldBack(),
          report.proposals().size(),
          (int) report.proposals().stream().filter(Proposal::broken).count(),
          report.typeProblems().size(),
          report.rejected().size(),
          report.enforced().size());
    }
  }

  static Report report(
      String target, Catalog catalog, Connection connection, SuggestSettings settings) {
    Inferred inferred = new Inference(catalog, settings).run();
    Evidence evidence = new Evidence(connection, catalog, settings);
    List<Chosen> chosen = new ArrayList<>();
    List<TypeProblem> typeProblems = new ArrayList<>();
    List<Rejection> rejected = new ArrayList<>();
    for (Group group : inferred.groups()) {
      decide(group, evidence, settings, chosen, typeProblems, rejected);
    }
    chosen.sort(Comparator.comparing((Chosen c) -> c.measure().candidate(), REFERENCE_ORDER));
    chosen = withoutBorrowedConflicts(chosen, rejected);
    List<Proposal> proposals = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (Chosen c : chosen) {
      if (!seen.add(c.measure().candidate().describe())) {
        continue; // two columns of one composite reference can each find it
      }
      proposals.add(
          new Proposal(
              id(catalog, c.group(), ids),
              c.measure().candidate(),
              c.measure(),
              c.others(),
              c.unmeasured(),
              c.broken()));
    }
    typeProblems.sort(Comparator.comparing(TypeProblem::candidate, REFERENCE_ORDER));
    rejected.sort(
        Comparator.comparing((Rejection r) -> r.column().table().id())
            .thenComparingInt(r -> r.column().columns().get(0).position()));
    return new Report(
        target,
        catalog,
        settings,
        proposals,
        typeProblems,
        rejected,
        inferred.enforced(),
        inferred.excluded(),
        inferred.unmatched());
  }

  /**
   * Two composite references of one table that borrow the same column ({@code way_nodes(way_id,
   * version)} and {@code way_nodes(node_id, version)}): the column belongs to one of them only.
   * When exactly one lies within the table's primary key (the row is identified by its parent: an
   * identifying reference), it keeps the column and the others are rejected, saying why.
   */
  private static List<Chosen> withoutBorrowedConflicts(
      List<Chosen> chosen, List<Rejection> rejected) {
    List<Chosen> kept = new ArrayList<>();
    for (Chosen c : chosen) {
      Side child = c.measure().candidate().child();
      Optional<Chosen> owner =
          chosen.stream()
              .filter(
                  o -> o != c && !borrowed(c, o).isEmpty() && inPrimaryKey(o) && !inPrimaryKey(c))
              .findFirst();
      if (owner.isEmpty()) {
        kept.add(c);
        continue;
      }
      rejected.add(
          new Rejection(
              c.group().column(),
              c.group().tier(),
              List.of(c.measure().candidate()),
              List.of(c.measure()),
              c.unmeasured(),
              Optional.of(
                  "its column "
                      + String.join(", ", borrowed(c, owner.get()))
                      + " belongs to "
                      + owner.get().measure().candidate().describe()
                      + ", which lies in the table's primary key; "
                      + child.describe()
                      + " alone has no unique key to point at")));
    }
    return kept;
  }

  /** The columns two composite references of one table both borrow (beside their own). */
  private static List<String> borrowed(Chosen c, Chosen o) {
    Side a = c.measure().candidate().child();
    Side b = o.measure().candidate().child();
    if (a.columns().size() < 2 || b.columns().size() < 2 || a.table() != b.table()) {
      return List.of();
    }
    List<String> shared = new ArrayList<>(a.columnNames());
    shared.retainAll(b.columnNames());
    shared.remove(c.group().column().columns().get(0).name());
    shared.remove(o.group().column().columns().get(0).name());
    return shared;
  }

  private static boolean inPrimaryKey(Chosen c) {
    Side child = c.measure().candidate().child();
    return child
        .table()
        .primaryKey()
        .map(pk -> pk.columns().containsAll(child.columnNames()))
        .orElse(false);
  }

  /** A winning candidate before ids are assigned; broken: proposed despite low coverage. */
  private record Chosen(
      Group group,
      Measure measure,
      List<Measure> others,
      List<String> unmeasured,
      boolean broken) {}

  /**
   * Tiers whose name evidence is strong enough to propose a reference whose data is broken: the
   * column names the table (or a role of it, or its own table). The coverage threshold only filters
   * weaker matches (the end or start of a table's name, a unique column's name), unless the name
   * fits a single table.
   */
  private static final Set<Tier> STRONG_NAMES =
      Set.of(
          Tier.TABLE_NAME,
          Tier.ROLE_PREFIX,
          Tier.QUALIFIED,
          Tier.AGENT,
          Tier.SELF,
          Tier.PERSON,
          Tier.BARE_NAME);

  /**
   * A likely reference with broken data: strong name, natively comparable, and more than half of
   * its distinct values found. Fewer found looks like another key space: rejected.
   */
  private static boolean likelyBroken(Group group, Measure m) {
    return strongName(m.candidate(), group.candidates().size())
        && m.candidate().comparable()
        && !m.asText()
        && !m.counterLike()
        && m.sample().distinct() > 0
        && m.found() * 2 > m.sample().distinct();
  }

  /**
   * The name alone makes the reference likely (see {@link #STRONG_NAMES}); so does the name of one
   * table's whole primary key ({@code bookings.memid} -> {@code members.memid}): schemas that name
   * each key after its table ({@code memid}, {@code facid}, {@code emp_no}) reuse that name exactly
   * where they point at it (generic key names such as {@code id} or {@code code} never get here).
   */
  static boolean strongName(Candidate candidate, int candidatesOfColumn) {
    Tier tier = candidate.tier();
    return STRONG_NAMES.contains(tier)
        || ((tier == Tier.TABLE_SUFFIX || tier == Tier.TABLE_PREFIX) && candidatesOfColumn == 1)
        || (tier == Tier.SAME_KEY
            && candidatesOfColumn == 1
            && wholePrimaryKey(candidate.parent()));
  }

  private static boolean wholePrimaryKey(Side parent) {
    return parent
        .table()
        .primaryKey()
        .map(pk -> pk.columns().equals(parent.columnNames()))
        .orElse(false);
  }

  /** Output order: child table, child column positions, parent. */
  static final Comparator<Candidate> REFERENCE_ORDER =
      Comparator.comparing((Candidate c) -> c.child().table().id())
          .thenComparing(c -> positions(c.child()), Suggester::compareLists)
          .thenComparing(c -> c.parent().table().id())
          .thenComparing(c -> positions(c.parent()), Suggester::compareLists);

  /**
   * Among supported parents: strongest tier (the entity over a side table), same schema, closest
   * name, best coverage, person rank, name.
   */
  private static final Comparator<Measure> EVIDENCE_ORDER =
      Comparator.comparing((Measure m) -> m.candidate().tier())
          .thenComparingInt(m -> m.candidate().schemaDistance())
          .thenComparing(
              Comparator.comparingInt((Measure m) -> m.candidate().affinity()).reversed())
          .thenComparing(Comparator.comparingDouble(Measure::coverage).reversed())
          .thenComparing(Comparator.comparingDouble(Measure::rowCoverage).reversed())
          .thenComparingInt(m -> m.candidate().rank())
          .thenComparing(m -> m.candidate(), Inference.NAME_ORDER);

  private static void decide(
      Group group,
      Evidence evidence,
      SuggestSettings settings,
      List<Chosen> chosen,
      List<TypeProblem> typeProblems,
      List<Rejection> rejected) {
    List<Measure> measures = new ArrayList<>();
    List<String> unmeasured = new ArrayList<>();
    Map<List<String>, List<Candidate>> natives = new LinkedHashMap<>();
    List<Candidate> textual = new ArrayList<>();
    for (Candidate candidate : group.candidates()) {
      if (candidate.comparable()) {
        natives
            .computeIfAbsent(candidate.child().columnNames(), k -> new ArrayList<>())
            .add(candidate);
      } else {
        textual.add(candidate);
      }
    }
    for (List<Candidate> sameChild : natives.values()) {
      measure(evidence, sameChild, measures, unmeasured);
    }
    // Text comparisons read the whole parent: only when no natively comparable parent is
    // supported (uuid stored as text is the type-alignment finding this is for).
    boolean data = measures.stream().anyMatch(m -> m.sample().distinct() > 0);
    if (supported(measures, settings).isEmpty() && (data || natives.isEmpty())) {
      for (Candidate candidate : textual) {
        measure(evidence, List.of(candidate), measures, unmeasured);
      }
    }
    if (measures.isEmpty()) {
      rejected.add(
          new Rejection(
              group.column(),
              group.tier(),
              group.candidates(),
              List.of(),
              unmeasured,
              Optional.of("no evidence could be measured")));
      return;
    }
    if (measures.stream().allMatch(m -> m.sample().distinct() == 0)) {
      decideWithoutData(group, measures, unmeasured, chosen, typeProblems, rejected);
      return;
    }
    List<Measure> supported = supported(measures, settings);
    Optional<Measure> broken =
        measures.stream()
            .filter(m -> !supported.contains(m) && likelyBroken(group, m))
            .sorted(EVIDENCE_ORDER)
            .findFirst();
    // the entity with broken data beats a side table that still holds the rows the entity lost:
    // choosing the side table would make the audit report a silent "clean"
    boolean brokenFirst =
        broken.isPresent()
            && (supported.isEmpty()
                || broken.get().candidate().tier().compareTo(supported.get(0).candidate().tier())
                    < 0);
    if (supported.isEmpty() || brokenFirst) {
      if (broken.isPresent()) {
        Measure best = broken.get();
        List<Measure> others = measures.stream().filter(m -> m != best).toList();
        chosen.add(new Chosen(group, best, others, unmeasured, true));
        return;
      }
      rejected.add(
          new Rejection(
              group.column(),
              group.tier(),
              group.candidates(),
              measures,
              unmeasured,
              Optional.empty()));
      return;
    }
    Measure best = supported.get(0);
    if (!best.candidate().comparable()) {
      typeProblems.add(new TypeProblem(best.candidate(), best));
      return;
    }
    List<Measure> others = measures.stream().filter(m -> m != best).toList();
    chosen.add(new Chosen(group, best, others, unmeasured, false));
  }

  /** Measured with data, covered enough, not a counter; best first. */
  private static List<Measure> supported(List<Measure> measures, SuggestSettings settings) {
    return measures.stream()
        .filter(m -> m.supports(settings.minCoverage()))
        .filter(m -> !m.counterLike())
        .sorted(EVIDENCE_ORDER)
        .toList();
  }

  /** Measures candidates sharing child columns; a failed query becomes a note, not an abort. */
  private static void measure(
      Evidence evidence, List<Candidate> candidates, List<Measure> measures, List<String> failed) {
    try {
      measures.addAll(evidence.measure(candidates));
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        throw new SuggestException("lost the connection to the target: " + e.getMessage(), e);
      }
      for (Candidate candidate : candidates) {
        failed.add(candidate.parent().describe() + ": " + describe(e));
      }
    }
  }

  /**
   * No values to measure (an empty table, or only NULLs): the name is all there is. Proposed when
   * one candidate clearly leads by name, so a new, still-empty schema gets its audits; otherwise
   * there is nothing to choose with.
   */
  private static void decideWithoutData(
      Group group,
      List<Measure> measures,
      List<String> unmeasured,
      List<Chosen> chosen,
      List<TypeProblem> typeProblems,
      List<Rejection> rejected) {
    List<Measure> ranked =
        measures.stream()
            .sorted(Comparator.comparing(Measure::candidate, Inference.NAME_ORDER))
            .toList();
    Measure top = ranked.get(0);
    if (ranked.size() > 1 && sameStrength(top.candidate(), ranked.get(1).candidate())) {
      rejected.add(
          new Rejection(
              group.column(),
              group.tier(),
              group.candidates(),
              measures,
              unmeasured,
              Optional.of(
                  "no values to measure, and the name fits "
                      + top.candidate().parent().describe()
                      + " and "
                      + ranked.get(1).candidate().parent().describe()
                      + " equally")));
      return;
    }
    if (!top.candidate().comparable()) {
      typeProblems.add(new TypeProblem(top.candidate(), top));
      return;
    }
    chosen.add(new Chosen(group, top, ranked.subList(1, ranked.size()), unmeasured, false));
  }

  private static boolean sameStrength(Candidate a, Candidate b) {
    return a.tier() == b.tier()
        && a.schemaDistance() == b.schemaDistance()
        && a.affinity() == b.affinity()
        && a.rank() == b.rank();
  }

  private static String describe(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = message.indexOf('\n');
    message = newline < 0 ? message : message.substring(0, newline);
    return switch (state) {
      case "57014" -> "the evidence query timed out (raise --timeout or lower --sample-rows)";
      case "55P03" -> "a lock was held on the table (lock_timeout)";
      case "42501" -> "permission denied: " + message;
      default -> message;
    };
  }

  /**
   * {@code <child table>.<column without its key word>}, e.g. {@code orders.customer}; schema first
   * when the table is not the one its bare name resolves to; {@code -2}, {@code -3} when taken.
   */
  static String id(Catalog catalog, Group group, Set<String> taken) {
    TableInfo table = group.column().table();
    String column = group.column().columns().get(0).name();
    String base = Names.withoutKeyWord(column, group.name());
    String text =
        (resolvesUnqualified(catalog, table) ? "" : table.id().schema() + ".")
            + table.id().name()
            + "."
            + base;
    String id = text.replaceAll("[^A-Za-z0-9_.\\-]", "_").replaceFirst("^[^A-Za-z0-9]+", "");
    if (id.isEmpty()) {
      id = "reference";
    }
    id = id.length() > 95 ? id.substring(0, 95) : id;
    String unique = id;
    for (int n = 2; !taken.add(unique.toLowerCase(Locale.ROOT)); n++) {
      unique = id + "-" + n;
    }
    return unique;
  }

  /** Whether the bare table name finds this table through the search path. */
  static boolean resolvesUnqualified(Catalog catalog, TableInfo table) {
    return catalog
        .resolve(QualifiedName.of(null, table.id().name()))
        .table()
        .filter(t -> t.id().equals(table.id()))
        .isPresent();
  }

  private static List<Integer> positions(Side side) {
    return side.columns().stream().map(ColumnInfo::position).toList();
  }

  private static int compareLists(List<Integer> a, List<Integer> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = Integer.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
