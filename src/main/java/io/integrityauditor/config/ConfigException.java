package io.integrityauditor.config;

import io.integrityauditor.AuditorException;
import java.util.List;
import java.util.stream.Collectors;

/** Configuration that cannot be used. Carries every problem found, not just the first. */
public final class ConfigException extends AuditorException {
  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(problems.stream().map(ConfigProblem::format).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  public ConfigException(ConfigProblem problem) {
    this(List.of(problem));
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
