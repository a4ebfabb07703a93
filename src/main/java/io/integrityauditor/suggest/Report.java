package io.integrityauditor.suggest;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.suggest.Evidence.Measure;
import io.integrityauditor.suggest.Evidence.Sample;
import io.integrityauditor.suggest.Inference.EnforcedKey;
import io.integrityauditor.suggest.Inference.Excluded;
import io.integrityauditor.suggest.Inference.PolymorphicPair;
import io.integrityauditor.suggest.Inference.Unmatched;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything {@code suggest} found for one target, in output order.
 *
 * @param proposals references proposed as orphan audits
 * @param polymorphic polymorphic references proposed as polymorphic audits
 * @param typeProblems references whose column cannot be compared natively with the key (text vs
 *     uuid): reported, not proposed
 * @param rejected candidates the data did not support (or could not be measured)
 * @param enforced declared foreign keys
 * @param excluded reference-shaped columns skipped by an exclusion pattern
 * @param unmatched columns that look like references but have no candidate, with the reason
 * @param unreadable the examined schemas whose tables the role cannot read, with those tables
 */
record Report(
    String target,
    Catalog catalog,
    SuggestSettings settings,
    List<Proposal> proposals,
    List<PolymorphicProposal> polymorphic,
    List<TypeProblem> typeProblems,
    List<Rejection> rejected,
    List<EnforcedKey> enforced,
    List<Excluded> excluded,
    List<Unmatched> unmatched,
    Map<String, List<String>> unreadable) {

  Report {
    unreadable = Collections.unmodifiableMap(new TreeMap<>(unreadable));
    proposals = List.copyOf(proposals);
    polymorphic = List.copyOf(polymorphic);
    typeProblems = List.copyOf(typeProblems);
    rejected = List.copyOf(rejected);
    enforced = List.copyOf(enforced);
    excluded = List.copyOf(excluded);
    unmatched = List.copyOf(unmatched);
  }

  /**
   * A proposed reference.
   *
   * @param id the audit id
   * @param evidence its measure; its sample has no values when the column holds only NULLs
   * @param others the other parents measured, for the reviewer
   * @param unmeasured other parents whose evidence query failed, with the reason
   * @param broken a likely reference whose data is broken: proposed although its coverage is below
   *     the minimum, because its name is strong evidence
   */
  record Proposal(
      String id,
      Candidate candidate,
      Measure evidence,
      List<Measure> others,
      List<String> unmeasured,
      boolean broken) {
    Proposal {
      others = List.copyOf(others);
      unmeasured = List.copyOf(unmeasured);
    }

    boolean noData() {
      return evidence.sample().distinct() == 0;
    }
  }

  /**
   * One line per schema the role cannot read, with the grants: nothing in it could be measured, so
   * "0 audits proposed" would otherwise read as "no references" (newuser22, Zitadel's {@code
   * auth}).
   */
  List<String> unreadableWarnings() {
    List<String> lines = new java.util.ArrayList<>();
    unreadable.forEach(
        (schema, tables) ->
            lines.add(
                "role "
                    + catalog.role()
                    + " cannot read schema "
                    + schema
                    + " ("
                    + tables.size()
                    + (tables.size() == 1 ? " table" : " tables")
                    + "), so none of its columns could be measured; grant it: "
                    + io.integrityauditor.catalog.RoleAccess.readGrants(schema, catalog.role())
                    + " then run suggest again"));
    return lines;
  }

  /** Audits proposed: orphan and polymorphic. */
  int audits() {
    return proposals.size() + polymorphic.size();
  }

  /**
   * A proposed polymorphic reference ({@code record_id} beside {@code record_type}).
   *
   * @param sample the rows read, with the type values' total distinct ids and rows
   * @param parents each type value the data has whose table holds its ids, with that evidence
   * @param left the type values not mapped to a table, each with the reason
   * @param moreTypes the data has more type values than were read
   */
  record PolymorphicProposal(
      String id,
      PolymorphicPair pair,
      Sample sample,
      List<TypeParent> parents,
      List<String> left,
      boolean moreTypes) {
    PolymorphicProposal {
      parents = List.copyOf(parents);
      left = List.copyOf(left);
    }
  }

  /**
   * A type value and the parent it names, measured on the ids of its rows.
   *
   * @param broken more than half, but fewer than the minimum, of its ids are found
   */
  record TypeParent(String value, Measure evidence, boolean broken) {}

  /** A reference whose types cannot be compared natively, with its evidence compared as text. */
  record TypeProblem(Candidate candidate, Measure evidence) {}

  /**
   * A column whose candidates were all rejected.
   *
   * @param measures the evidence per candidate measured
   * @param unmeasured candidates whose evidence query failed, with the reason
   * @param reason why, when it is not in the measures (nothing measured, no data to choose)
   */
  record Rejection(
      Side column,
      Tier tier,
      List<Candidate> candidates,
      List<Measure> measures,
      List<String> unmeasured,
      Optional<String> reason) {
    Rejection {
      candidates = List.copyOf(candidates);
      measures = List.copyOf(measures);
      unmeasured = List.copyOf(unmeasured);
    }

    /** Every candidate of {@code group} rejected, with what was measured of them. */
    static Rejection ofGroup(
        Inference.Group group,
        List<Measure> measures,
        List<String> unmeasured,
        Optional<String> reason) {
      return new Rejection(
          group.column(), group.tier(), group.candidates(), measures, unmeasured, reason);
    }
  }
}
