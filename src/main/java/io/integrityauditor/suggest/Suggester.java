package io.integrityauditor.suggest;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.QualifiedName;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.suggest.Evidence.Measure;
import io.integrityauditor.suggest.Evidence.Sample;
import io.integrityauditor.suggest.Evidence.TypeValues;
import io.integrityauditor.suggest.Inference.Group;
import io.integrityauditor.suggest.Inference.Inferred;
import io.integrityauditor.suggest.Inference.PolymorphicPair;
import io.integrityauditor.suggest.Inference.Unmatched;
import io.integrityauditor.suggest.Report.PolymorphicProposal;
import io.integrityauditor.suggest.Report.Proposal;
import io.integrityauditor.suggest.Report.Rejection;
import io.integrityauditor.suggest.Report.TypeParent;
import io.integrityauditor.suggest.Report.TypeProblem;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
          report.audits(),
          (int) report.proposals().stream().filter(Proposal::broken).count(),
          report.typeProblems().size(),
          report.rejected().size(),
          report.enforced().size(),
          report.unreadableWarnings());
    }
  }

  static Report report(
      String target, Catalog catalog, Connection connection, SuggestSettings settings) {
    Inference inference = new Inference(catalog, settings);
    Inferred inferred = inference.run();
    Evidence evidence = new Evidence(connection, catalog, settings);
    List<Chosen> chosen = new ArrayList<>();
    List<TypeProblem> typeProblems = new ArrayList<>();
    List<Rejection> rejected = new ArrayList<>();
    for (Group group : inferred.groups()) {
      decide(group, evidence, settings, catalog.role(), chosen, typeProblems, rejected);
    }
    chosen.sort(Comparator.comparing((Chosen c) -> c.measure().candidate(), REFERENCE_ORDER));
    chosen = withoutBorrowedConflicts(chosen, rejected, catalog, settings);
    List<Proposal> proposals = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (Chosen c : chosen) {
      if (!seen.add(c.measure().candidate().describe())) {
        continue; // two columns of one composite reference can each find it
      }
      proposals.add(
          new Proposal(
              id(catalog, c.group().column(), c.group().name(), ids),
              c.measure().candidate(),
              c.measure(),
              c.others(),
              c.unmeasured(),
              c.broken()));
    }
    List<PolymorphicProposal> polymorphic = new ArrayList<>();
    List<Unmatched> unmatched = new ArrayList<>(inferred.unmatched());
    for (PolymorphicPair pair : inferred.polymorphic()) {
      Mapped mapped = mapPolymorphic(pair, inference, evidence, settings);
      if (mapped.parents().isEmpty()) {
        unmatched.add(
            new Unmatched(
                pair.id(),
                "polymorphic: "
                    + pair.type().name()
                    + " says which table each row points at, and a foreign key cannot express it; "
                    + mapped.reason()));
      } else {
        polymorphic.add(
            new PolymorphicProposal(
                id(catalog, pair.id(), pair.name(), ids),
                pair,
                mapped.sample(),
                mapped.parents(),
                mapped.left(),
                mapped.moreTypes()));
      }
    }
    unmatched.sort(
        Comparator.comparing((Unmatched u) -> u.column().table().id())
            .thenComparingInt(u -> u.column().columns().get(0).position()));
    typeProblems.sort(Comparator.comparing(TypeProblem::candidate, REFERENCE_ORDER));
    rejected.sort(
        Comparator.comparing((Rejection r) -> r.column().table().id())
            .thenComparingInt(r -> r.column().columns().get(0).position()));
    return new Report(
        target,
        catalog,
        settings,
        proposals,
        polymorphic,
        typeProblems,
        rejected,
        inferred.enforced(),
        inferred.excluded(),
        unmatched,
        unreadable(catalog, settings));
  }

  /**
   * The examined schemas holding tables the role cannot read ({@code USAGE} on the schema or {@code
   * SELECT} on the table missing), with those tables.
   */
  private static Map<String, List<String>> unreadable(Catalog catalog, SuggestSettings settings) {
    Map<String, List<String>> unreadable = new java.util.TreeMap<>();
    for (TableInfo table : catalog.tables().values()) {
      String schema = table.id().schema();
      boolean examined =
          settings.schemas().isEmpty()
              || settings.schemas().stream().anyMatch(schema::equalsIgnoreCase);
      if (examined && !table.readable()) {
        unreadable.computeIfAbsent(schema, s -> new ArrayList<>()).add(table.id().name());
      }
    }
    return unreadable;
  }

  /**
   * Why a column's candidates were not measured when the role cannot read their tables: once per
   * column, naming the schemas (the grants are at the top of the file), instead of one failed query
   * per candidate and a "no evidence" line besides.
   */
  private static String unreadableReason(List<Candidate> candidates, String role) {
    java.util.SortedSet<String> schemas = new java.util.TreeSet<>();
    for (Candidate c : candidates) {
      for (Side side : List.of(c.child(), c.parent())) {
        if (!side.table().readable()) {
          schemas.add(side.table().id().schema());
        }
      }
    }
    return "not measured: role "
        + role
        + " cannot read schema "
        + String.join(", ", schemas)
        + " (the grants are at the top of this file)";
  }

  /**
   * A polymorphic reference's type values mapped to parents: those whose table holds their ids, and
   * the others with the reason; when none is mapped, why.
   */
  private record Mapped(
      Sample sample,
      List<TypeParent> parents,
      List<String> left,
      boolean moreTypes,
      String reason) {}

  /**
   * Reads the type values the data has, finds the table each names ({@link
   * Inference#polymorphicParent}) and measures its ids there. A type value whose table holds half
   * or fewer of its ids names another thing than that table and is left out, saying so.
   */
  private static Mapped mapPolymorphic(
      PolymorphicPair pair, Inference inference, Evidence evidence, SuggestSettings settings) {
    if (!pair.id().table().readable()) {
      return new Mapped(
          null,
          List.of(),
          List.of(),
          false,
          "its type values could not be read: the role cannot read schema "
              + pair.id().table().id().schema()
              + " (the grants are at the top of this file)");
    }
    TypeValues types;
    try {
      types = evidence.typeValues(pair);
    } catch (SQLException e) {
      stopIfConnectionLost(e);
      return new Mapped(
          null, List.of(), List.of(), false, "its type values could not be read: " + describe(e));
    }
    if (types.values().isEmpty()) {
      return new Mapped(
          types.sample(),
          List.of(),
          List.of(),
          false,
          "no type values in "
              + types.sample().describe()
              + " to map to tables: write a kind: polymorphic audit by hand");
    }
    Map<String, Candidate> named = new LinkedHashMap<>();
    Map<String, String> leftOut = new HashMap<>();
    for (String value : types.values().keySet()) {
      inference
          .polymorphicParent(pair, value)
          .ifPresentOrElse(
              c -> named.put(value, c),
              () ->
                  leftOut.put(
                      value, value + ": no table with a comparable primary key is named like it"));
    }
    List<TypeParent> parents = new ArrayList<>();
    if (!named.isEmpty()) {
      List<Measure> measures;
      try {
        measures = evidence.measurePolymorphic(pair, types, named);
      } catch (SQLException e) {
        stopIfConnectionLost(e);
        return new Mapped(
            types.sample(),
            List.of(),
            List.of(),
            false,
            "its evidence query failed: " + describe(e));
      }
      List<String> values = List.copyOf(named.keySet());
      for (int i = 0; i < measures.size(); i++) {
        String value = values.get(i);
        Measure m = measures.get(i);
        boolean supported = m.supports(settings.minCoverage());
        if (supported || m.found() * 2 > m.sample().distinct()) {
          parents.add(new TypeParent(value, m, !supported));
        } else {
          leftOut.put(
              value,
              value
                  + " -> "
                  + m.candidate().parent().describe()
                  + ": "
                  + m.describeCoverage()
                  + " found: half or fewer, another key space");
        }
      }
    }
    // in the order of the type values: most rows first
    List<String> left =
        types.values().keySet().stream().filter(leftOut::containsKey).map(leftOut::get).toList();
    String reason =
        "none of its type values ("
            + String.join(", ", types.values().keySet())
            + (types.more() ? ", ..." : "")
            + ") names a table that holds its ids";
    return new Mapped(types.sample(), parents, left, types.more(), reason);
  }

  /** A lost connection stops the run; any other failure is reported where it happened. */
  private static void stopIfConnectionLost(SQLException e) {
    if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
      throw new SuggestException("lost the connection to the target: " + e.getMessage(), e);
    }
  }

  /**
   * Two composite references of one table that borrow the same column ({@code way_nodes(way_id,
   * version)} and {@code way_nodes(node_id, version)}): the column belongs to one of them only.
   * When exactly one lies within the table's primary key (the row is identified by its parent: an
   * identifying reference), it keeps the column and the others are rejected, saying why.
   */
  private static List<Chosen> withoutBorrowedConflicts(
      List<Chosen> chosen, List<Rejection> rejected, Catalog catalog, SuggestSettings settings) {
    List<Chosen> kept = new ArrayList<>();
    for (Chosen c : chosen) {
      Side child = c.measure().candidate().child();
      Optional<Chosen> owner =
          chosen.stream()
              .filter(
                  o ->
                      o != c
                          && !borrowed(c, o).isEmpty()
                          && inPrimaryKey(o)
                          && !inPrimaryKey(c)
                          && !shared(c, borrowed(c, o), catalog, settings))
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

  /**
   * The borrowed columns are shared, not borrowed: a tenant column ({@code instance_id} in every
   * key of Zitadel's {@code auth} schema) belongs to every composite reference of a multi-tenant
   * schema ({@code user_external_idps(idp_config_id, instance_id)} and {@code (user_id,
   * instance_id)} both hold). Either the data says so (every pair found in the parent, measured on
   * values), or each borrowed column is in the primary key of at least three quarters of the
   * schema's tables that have one (at least three): OpenStreetMap's {@code version} is in the keys
   * of its history tables only, and {@code way_nodes(node_id, version)} stays rejected.
   */
  private static boolean shared(
      Chosen c, List<String> columns, Catalog catalog, SuggestSettings settings) {
    Measure m = c.measure();
    if (!c.broken() && m.sample().distinct() > 0 && m.supports(settings.minCoverage())) {
      return true;
    }
    String schema = m.candidate().child().table().id().schema();
    List<TableInfo> keyed =
        catalog.tables().values().stream()
            .filter(t -> t.id().schema().equals(schema) && t.primaryKey().isPresent())
            .toList();
    if (keyed.size() < 3) {
      return false;
    }
    for (String column : columns) {
      long holding =
          keyed.stream()
              .filter(
                  t ->
                      t.primaryKey().orElseThrow().columns().stream()
                          .anyMatch(column::equalsIgnoreCase))
              .count();
      if (holding * 4 < keyed.size() * 3) {
        return false;
      }
    }
    return true;
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
   * column names the table (or a role of it, or its own table), or the table's own name and key say
   * which table it belongs to ({@code artist_gid_redirect.new_id}, {@code artist_meta.id}, {@code
   * l_area_artist.entity1}). The coverage threshold only filters weaker matches (the end or start
   * of a table's name, a unique column's name), unless the name fits a single table.
   */
  private static final Set<Tier> STRONG_NAMES =
      Set.of(
          Tier.TABLE_NAME,
          Tier.SUBTYPE,
          Tier.ROLE_PREFIX,
          Tier.QUALIFIED,
          Tier.OWNER_PREFIX,
          Tier.NUMBERED_MEMBER,
          Tier.LETTERED_MEMBER,
          Tier.COMPOSITE_KEY,
          Tier.CARRIED_KEY,
          Tier.PREFIXED_KEY,
          Tier.AGENT,
          Tier.GROUP,
          Tier.SELF,
          Tier.PERSON,
          Tier.BARE_NAME,
          Tier.EXTENSION);

  /**
   * A likely reference with broken data: strong name, natively comparable, and more than half of
   * its distinct values found. Fewer found looks like another key space: rejected.
   */
  private static boolean likelyBroken(Group group, Measure m) {
    return strongName(m.candidate(), rivals(m.candidate(), group.candidates()))
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
    // candidatesOfColumn: those as close by schema as this one (see rivals)
    Tier tier = candidate.tier();
    return STRONG_NAMES.contains(tier)
        || ((tier == Tier.TABLE_SUFFIX
                || tier == Tier.ROLE_PREFIX_SUFFIX
                || tier == Tier.TABLE_PREFIX)
            && candidatesOfColumn == 1)
        || (tier == Tier.SAME_KEY
            && candidatesOfColumn == 1
            && wholePrimaryKey(candidate.parent()));
  }

  /**
   * The candidates of a column that are as close to it by schema as {@code candidate}, itself
   * included: a name that fits one table of the child's own schema fits one table, even when
   * another schema has one keyed alike (MIMIC's {@code mimic_icu.chartevents.itemid} is {@code
   * mimic_icu.d_items}', not {@code mimic_hosp.d_labitems}'; both are keyed {@code itemid}).
   */
  static int rivals(Candidate candidate, List<Candidate> candidatesOfColumn) {
    return (int)
        candidatesOfColumn.stream()
            .filter(c -> c == candidate || c.schemaDistance() <= candidate.schemaDistance())
            .count();
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
      String role,
      List<Chosen> chosen,
      List<TypeProblem> typeProblems,
      List<Rejection> rejected) {
    List<Candidate> readable =
        group.candidates().stream()
            .filter(c -> c.child().table().readable() && c.parent().table().readable())
            .toList();
    if (readable.isEmpty()) {
      rejected.add(
          Rejection.ofGroup(
              group,
              List.of(),
              List.of(),
              Optional.of(unreadableReason(group.candidates(), role))));
      return;
    }
    List<Measure> measures = new ArrayList<>();
    List<String> unmeasured = new ArrayList<>();
    Map<List<String>, List<Candidate>> natives = new LinkedHashMap<>();
    List<Candidate> textual = new ArrayList<>();
    for (Candidate candidate : readable) {
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
          Rejection.ofGroup(
              group, List.of(), unmeasured, Optional.of("no evidence could be measured")));
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
      rejected.add(Rejection.ofGroup(group, measures, unmeasured, Optional.empty()));
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
      stopIfConnectionLost(e);
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
          Rejection.ofGroup(
              group,
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
  static String id(Catalog catalog, Side side, ColumnName name, Set<String> taken) {
    TableInfo table = side.table();
    String column = side.columns().get(0).name();
    String base = Names.withoutKeyWord(column, name);
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
