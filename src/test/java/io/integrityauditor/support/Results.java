package io.integrityauditor.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import java.util.List;
import java.util.Map;

/** Reads the counts of a completed result (failing the test when the run did not complete). */
public final class Results {
  private Results() {}

  public static long violations(AuditResult result) {
    assertThat(result.status())
        .as("status of %s: %s", result.audit().id(), result.error())
        .isIn(RunStatus.OK, RunStatus.VIOLATIONS);
    return result.measurement().orElseThrow().violations();
  }

  public static long rowsChecked(AuditResult result) {
    violations(result);
    return result.measurement().orElseThrow().rowsChecked();
  }

  public static List<Map<String, String>> samples(AuditResult result) {
    violations(result);
    return result.measurement().orElseThrow().samples().stream().map(SampleKey::values).toList();
  }

  public static List<String> notes(AuditResult result) {
    violations(result);
    return result.measurement().orElseThrow().notes();
  }

  /** A sample with NULL values ({@code Map.of} refuses nulls); pairs of name, value. */
  public static Map<String, String> sample(String... namesAndValues) {
    Map<String, String> values = new java.util.LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      values.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return values;
  }
}
