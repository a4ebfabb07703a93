package io.integrityauditor.audit.scan;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The identifying values of one violating row ({@code {"id": "wi-17", "config_version_id":
 * "cv-9"}}), as text. Column order is kept; NULL stays null.
 */
public record SampleKey(Map<String, String> values) implements Comparable<SampleKey> {
  public SampleKey {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  @Override
  public int compareTo(SampleKey other) {
    return toString().compareTo(other.toString());
  }

  @Override
  public String toString() {
    return values.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", "));
  }
}
