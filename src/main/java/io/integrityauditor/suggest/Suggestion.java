package io.integrityauditor.suggest;

import java.util.List;

/**
 * The outcome of {@code suggest}.
 *
 * @param yaml the audit file, ready to review and pass to {@code validate}
 * @param migrations the SQL that would enforce the proposed references as foreign keys, for review
 *     (never applied by the tool)
 * @param enforceable references whose foreign key the migrations write
 * @param heldBack references the migrations do not write because of their audit's run history
 *     ({@code --clean-for}), as {@code <audit id>: <why>}
 * @param proposed orphan audits proposed
 * @param broken of those, likely references whose data is broken (proposed despite low coverage)
 * @param typeProblems references not proposed because their types cannot be compared
 * @param rejected columns whose candidates the data did not support
 * @param enforced declared foreign keys found
 * @param unreadable one warning per examined schema the role cannot read, with the grants
 */
public record Suggestion(
    String yaml,
    String migrations,
    int enforceable,
    List<String> heldBack,
    int proposed,
    int broken,
    int typeProblems,
    int rejected,
    int enforced,
    List<String> unreadable) {
  public Suggestion {
    heldBack = List.copyOf(heldBack);
    unreadable = List.copyOf(unreadable);
  }
}
