package io.integrityauditor.audit;

import io.integrityauditor.config.ConfigProblem;
import java.util.List;
import java.util.Optional;

/**
 * The result of loading audit files: every audit that could be read, and every problem. A broken
 * audit does not stop the others: {@code serve} runs {@link #audits()} and reports {@link
 * #problems()}; {@code check} and {@code validate} refuse to run when there are problems.
 *
 * @param invalidIds ids of audits that were dropped because of a problem
 */
public record AuditSet(List<Audit> audits, List<ConfigProblem> problems, List<String> invalidIds) {
  public AuditSet {
    audits = List.copyOf(audits);
    problems = List.copyOf(problems);
    invalidIds = List.copyOf(invalidIds);
  }

  public Optional<Audit> find(String id) {
    return audits.stream().filter(a -> a.id().equals(id)).findFirst();
  }
}
