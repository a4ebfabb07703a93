package io.integrityauditor.schedule;

import io.integrityauditor.store.RunTrigger;
import java.time.Instant;
import java.util.List;

/**
 * What the Quartz jobs hand their work to: the running node implements it, so the jobs stay thin
 * adapters and {@code schedule} does not import the node.
 */
public interface FiredJobs {
  /** Runs one audit for a scheduled (or manual) fire time, under the node's guards. */
  void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering);

  /**
   * Records fire times that came while the run for {@code runFireTime} was still going: they are
   * not run (see {@code Overrun}).
   *
   * @param skipped the fire times passed over, oldest first
   * @param notListed how many more were passed over beyond {@code skipped} (counted, not listed)
   * @param next when the audit's schedule fires next
   */
  void skippedOverrun(
      String auditId, Instant runFireTime, List<Instant> skipped, long notListed, Instant next);

  /**
   * Records fire times Quartz gave up on while the cluster was up but starved: the audit runs once
   * now instead (see {@code Misfires}).
   *
   * @param skipped the fire times passed over, oldest first
   * @param notListed how many more were passed over beyond {@code skipped} (counted, not listed)
   */
  void skippedMisfire(String auditId, List<Instant> skipped, long notListed);

  /** Prunes old runs and resolved alerts (the daily retention job). */
  void pruneHistory();
}
