package io.integrityauditor.suggest;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.suggest.Evidence.Measure;
import io.integrityauditor.suggest.Inference.EnforcedKey;
import io.integrityauditor.suggest.Inference.Excluded;
import io.integrityauditor.suggest.Inference.Unmatched;
import java.util.List;
import java.util.Optional;

/**
 * Everything {@code suggest} found for one target, in output order.
 *
 * @param proposals references proposed as orphan audits
 * @param typeProblems references whose column cannot be compared natively with the key (text vs
 *     uuid): reported, not proposed
 * @param rejected candidates the data did not support (or could not be measured)
 * @param enforced declared foreign keys
 * @param excluded reference-shaped columns skipped by an exclusion pattern
 * @param unmatched columns that look like references but have no candidate, with the reason
 */
record Report(
    String target,
    Catalog catalog,
    SuggestSettings settings,
    List<Proposal> proposals,
    List<TypeProblem> typeProblems,
    List<Rejection> rejected,
    List<EnforcedKey> enforced,
    List<Excluded> excluded,
    List<Unmatched> unmatched) {

  Report {
    proposals = List.copyOf(proposals);
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
  }
}
