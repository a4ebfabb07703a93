package io.integrityauditor.config;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem of a load so the user sees them all at once. */
public final class Problems {
  private final List<ConfigProblem> problems = new ArrayList<>();

  public void add(ConfigProblem problem) {
    problems.add(problem);
  }

  public void add(Location location, String auditId, String key, String message) {
    problems.add(new ConfigProblem(location, auditId, key, message));
  }

  public void addAll(ConfigException e) {
    problems.addAll(e.problems());
  }

  public boolean isEmpty() {
    return problems.isEmpty();
  }

  public int size() {
    return problems.size();
  }

  public List<ConfigProblem> list() {
    return List.copyOf(problems);
  }

  public void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }
}
