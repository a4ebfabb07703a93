package io.integrityauditor.suggest;

/**
 * The outcome of {@code suggest}.
 *
 * @param yaml the audit file, ready to review and pass to {@code validate}
 * @param migrations the SQL that would enforce the proposed references as foreign keys, for review
 *     (never applied by the tool)
 * @param proposed orphan audits proposed
 * @param broken of those, likely references whose data is broken (proposed despite low coverage)
 * @param typeProblems references not proposed because their types cannot be compared
 * @param rejected columns whose candidates the data did not support
 * @param enforced declared foreign keys found
 */
public record Suggestion(
    String yaml,
    String migrations,
    int proposed,
    int broken,
    int typeProblems,
    int rejected,
    int enforced) {}
