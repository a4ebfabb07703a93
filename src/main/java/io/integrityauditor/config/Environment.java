package io.integrityauditor.config;

import java.util.Map;
import java.util.Optional;

/** Environment variables, injectable so tests do not depend on the real process environment. */
@FunctionalInterface
public interface Environment {
  Environment NONE = name -> Optional.empty();

  Optional<String> get(String name);

  static Environment system() {
    return name -> Optional.ofNullable(System.getenv(name));
  }

  static Environment of(Map<String, String> variables) {
    return name -> Optional.ofNullable(variables.get(name));
  }
}
