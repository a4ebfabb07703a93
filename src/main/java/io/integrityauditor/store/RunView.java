package io.integrityauditor.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One row of run history, with its sample keys, as the CLI and the HTTP API show it. */
public record RunView(
    long id,
    String auditId,
    String target,
    String kind,
    String severity,
    String trigger,
    Instant scheduledFireTime,
    Instant startedAt,
    Instant finishedAt,
    String status,
    Long violations,
    Long rowsChecked,
    Boolean thresholdBreached,
    Long durationMs,
    int attempts,
    String mode,
    String errorClass,
    String errorMessage,
    String nodeId,
    List<Map<String, String>> samples) {
  public RunView {
    samples = List.copyOf(samples);
  }
}
