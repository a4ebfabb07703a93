package io.integrityauditor.schedule;

import io.integrityauditor.store.RunTrigger;
import java.time.Instant;

/**
 * What the Quartz jobs hand their work to: the running node implements it, so the jobs stay thin
 * adapters and {@code schedule} does not import the node.
 */
public interface FiredJobs {
  /** Runs one audit for a scheduled (or manual) fire time, under the node's guards. */
  void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering);

  /** Prunes old runs and resolved alerts (the daily retention job). */
  void pruneHistory();
}
